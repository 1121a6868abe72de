/**
 * One HTTP/1.1 connection as a state machine, apart from its socket: the owner feeds it received
 * bytes and readiness, and it answers through {@link SessionIO}. Cached files are answered from
 * prebuilt bytes, synchronously, a pipelined batch with one send; every other request becomes a
 * `Request` for the static handler and its `Response` is written back with backpressure, in order
 * (`_answer.ts`); unsent bytes wait in an {@link Outbox}.
 *
 * @module
 */
import { answer, refuse } from "./_answer.ts";
import { BAD, ChunkedSkipper, MORE } from "./_chunked.ts";
import type { ConnForm } from "./_fast.ts";
import { INCOMPLETE, MAX_HEADER_BYTES, MAX_REQUEST_LINE } from "./_parser.ts";
import type { Http1Env } from "./_env.ts";
import { type SessionIO, Wait } from "./_io.ts";
import { Outbox, Sent } from "./_outbox.ts";
import type { FileBody } from "../http/file_response.ts";

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
/** Bytes kept while the handler works on a request; past it the socket is not read. */
const MAX_BUFFERED = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 1024;

const SHRANK = "The file shrank while being sent; the connection is closed";

/** One connection's protocol state. */
export class Session {
  /** Which deadline runs. */
  wait: Wait = Wait.Head;
  closed = false;
  #env: Http1Env;
  #io: SessionIO;
  /** the peer's address as the access log writes it, e.g. `127.0.0.1:50412` */
  readonly client: string;
  /** unparsed input carried over (a partial head, or what arrived while the handler worked) */
  #input: Uint8Array | null = null;
  #out: Outbox;
  #closeAfterOutput = false;
  /** the handler is answering a request: later requests wait */
  #busy = false;
  #skip = 0;
  #chunked: ChunkedSkipper | null = null;
  #peerDone = false;
  /** The server is stopping: close after the answer in progress. */
  draining = false;
  /** The answer in progress gave its hold back while it waits for the socket ({@link whenSent}). */
  #parked = false;

  constructor(env: Http1Env, io: SessionIO, client: string, now: number) {
    this.#env = env;
    this.#io = io;
    this.#out = new Outbox(io, env.batch);
    this.client = client;
    io.setDeadline(now + env.headerTimeoutMs);
  }

  #deadline(wait: Wait, at: number): void {
    this.wait = wait;
    this.#io.setDeadline(at);
  }

  /** The peer sent its FIN: answer what it asked for, then close. */
  finish(): void {
    this.#peerDone = true;
    if (!this.#busy && this.#out.empty) this.close();
  }

  /** Bytes handed to the way out so far, sent or not: where the next answer's bytes begin. */
  get queuedBytes(): number {
    return this.#out.taken + this.#out.unsent;
  }

  /** Bytes the kernel has taken so far (what the access log counts as sent). */
  get sentBytes(): number {
    return this.#out.taken;
  }

  /** Whether the owner should read the socket now (false while answers are pending). */
  get reading(): boolean {
    return !this.closed && this.#out.empty &&
      (!this.#busy || (this.#input?.length ?? 0) < MAX_BUFFERED);
  }

  /** Whether the session has no request in progress (drains close such connections). */
  get idle(): boolean {
    return !this.#busy && this.#out.empty && this.#input === null && this.wait === Wait.Idle;
  }

  /** Takes `buf[0..n)` just received. The bytes are only valid during this call. */
  onData(buf: Uint8Array, n: number): void {
    if (this.closed) return;
    let data = buf;
    let end = n;
    const held = this.#input;
    if (held !== null) {
      data = new Uint8Array(held.length + n);
      data.set(held);
      data.set(buf.subarray(0, n), held.length);
      end = data.length;
      this.#input = null;
      // a partial head is parsed again only once a new line may have completed it
      if (!this.#busy && buf.subarray(0, n).indexOf(10) < 0 && end <= MAX_BUFFERED) {
        this.#input = data;
        return;
      }
    }
    if (this.#busy) {
      this.#input = data === buf ? buf.slice(0, n) : data;
      return;
    }
    this.#run(data, 0, end);
  }

  /** The socket can take bytes again. */
  onWritable(now: number): void {
    if (this.#out.empty || this.closed) return;
    if (!this.#sent(this.#out.flush(), now) || !this.#out.empty) return;
    if (this.#closeAfterOutput) return this.close();
    this.#unpark();
    if (!this.#out.wake()) this.#afterAnswer(now);
  }

  /** The deadline passed: nginx closes without an answer in each of these states. */
  onTimeout(): void {
    this.close();
  }

  /** Closes the connection and forgets pending work. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#input = null;
    this.wait = Wait.None;
    this.#io.close();
    this.#unpark();
    this.#out.release();
  }

  /** Takes the hold on the loop back for the answer {@link whenSent} is about to wake. */
  #unpark(): void {
    if (!this.#parked) return;
    this.#parked = false;
    this.#env.hold();
  }

  /** Parses and answers what `data[start..end)` holds. */
  #run(data: Uint8Array, start: number, end: number): void {
    const env = this.#env;
    const parser = env.parser;
    const now = env.now;
    let off = start;
    while (off < end) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, end - off);
        this.#skip -= take;
        off += take;
        continue;
      }
      if (this.#chunked !== null) {
        const at = this.#chunked.feed(data, off, end);
        if (at === MORE) {
          off = end;
          break;
        }
        this.#chunked = null;
        if (at === BAD) {
          this.#flushBatch(now);
          return this.closeWhenSent();
        }
        off = at;
        continue;
      }
      const n = parser.parse(data, off, end);
      if (n === INCOMPLETE) break;
      if (n < 0) {
        this.#flushBatch(now);
        if (this.closed) return;
        refuse(this, env, -n, now);
        return;
      }
      off += n;
      env.requests++;
      const method = parser.method;
      const head = method === "HEAD";
      if (parser.contentLength > 0) this.#skip = parser.contentLength;
      else if (parser.chunked) this.#chunked = new ChunkedSkipper();
      const hasBody = this.#skip > 0 || this.#chunked !== null;
      if (parser.expectContinue && hasBody && parser.minor === 1) {
        this.#append(CONTINUE, CONTINUE.length, now);
      }
      const form: ConnForm = !parser.keepAlive ? 1 : parser.minor === 0 ? 2 : 0;
      if ((method === "GET" || head) && parser.plain && env.fast !== null) {
        const answer = env.fast.answerFor(
          parser.target,
          parser.acceptEncoding,
          parser.ifNoneMatch,
          now,
          parser.authorization,
        );
        if (answer !== undefined) {
          const bytes = answer.answer(form, env.date);
          const len = head ? answer.headLength[form]! : bytes.length;
          this.#append(bytes, len, now);
          if (env.onFast !== null) env.onFast(this, method, parser.target, answer);
          if (form === 1) {
            this.#flushBatch(now, true);
            if (!this.closed) this.closeWhenSent();
            return;
          }
          continue;
        }
      }
      // the handler's turn: earlier answers leave first, later requests wait for this one
      this.#flushBatch(now);
      if (this.closed) return;
      const request = env.toRequest(this);
      this.#busy = true;
      this.#deadline(Wait.None, 0);
      if (off < end) this.#input = data.slice(off, end);
      void answer(this, env, request, {
        head,
        minor: parser.minor,
        keepAlive: parser.keepAlive,
        form,
        started: now,
      });
      return;
    }
    this.#flushBatch(now);
    if (this.closed) return;
    if (off < end) {
      this.#input = data.slice(off, end);
      if (this.#peerDone) return this.closeWhenSent();
      if (this.wait !== Wait.Head) this.#deadline(Wait.Head, now + env.headerTimeoutMs);
    } else if (this.#out.empty) this.#waitIdle(now);
  }

  #waitIdle(now: number): void {
    if (this.#peerDone || this.draining) return this.close();
    if (this.#skip > 0 || this.#chunked !== null) {
      this.#deadline(Wait.Head, now + this.#env.headerTimeoutMs);
    } else this.#deadline(Wait.Idle, now + this.#env.keepAliveTimeoutMs);
  }

  /** Adds an answer to the pipelined batch. */
  #append(bytes: Uint8Array, len: number, now: number): void {
    if (!this.closed) this.#sent(this.#out.append(bytes, len), now);
  }

  /** Sends the pipelined batch; `last`: the connection closes right after. */
  #flushBatch(now: number, last = false): void {
    if (!this.closed) this.#sent(this.#out.flushBatch(last), now);
  }

  /**
   * Sends `bytes[0..len)`, keeping a copy of what the kernel did not take. Returns false when the
   * connection closed.
   */
  write(bytes: Uint8Array, len: number, now: number, last = false): boolean {
    if (this.closed) return false;
    return this.#sent(this.#out.send(bytes, len, last), now);
  }

  /**
   * Opens the file `body` names for {@link sendFile}, when the socket can send files; -1 when
   * not (the body is streamed instead).
   */
  openFile(body: FileBody): number {
    const io = this.#io;
    return this.closed || io.openFile === undefined ? -1 : io.openFile(body);
  }

  /**
   * Sends `head`, then `length` bytes of `file` (from {@link openFile}, now the session's to
   * close) from `offset`. Resolves once all left or the connection closed.
   */
  sendFile(head: Uint8Array, file: number, offset: number, length: number): Promise<void> | null {
    if (this.closed) {
      this.#io.closeFile?.(file);
      return null;
    }
    this.#env.filesSent++;
    if (!this.#sent(this.#out.sendFile(head, file, offset, length), this.#env.now)) return null;
    return this.whenSent();
  }

  /** Moves the send deadline after a send, or closes; false when closed. */
  #sent(sent: Sent, now: number): boolean {
    if (sent === Sent.Gone || sent === Sent.Short) {
      if (sent === Sent.Short) this.#env.onStreamError?.(new Error(SHRANK));
      this.close();
      return false;
    }
    if (sent === Sent.Queued) return true;
    if (sent === Sent.Pending) this.#deadline(Wait.Send, now + this.#env.sendTimeoutMs);
    else if (this.wait === Wait.Send) this.#deadline(Wait.None, 0);
    return true;
  }

  /**
   * Resolves once every pending byte left (or the connection closed). The answer awaiting it
   * gives its hold ({@link Http1Env.hold}) back meanwhile: only the loop drains a socket, so a slow
   * client costs no hand-overs. The wake-up holds again, so the next hand-over runs the answer.
   */
  whenSent(): Promise<void> | null {
    if (this.closed) return null;
    const wait = this.#out.whenSent();
    if (wait !== null && !this.#parked) {
      this.#parked = true;
      this.#env.release();
    }
    return wait;
  }

  /** Closes once what is pending has left. */
  closeWhenSent(): void {
    if (this.closed) return;
    if (this.#out.empty) this.close();
    else this.#closeAfterOutput = true;
  }

  /** The handler's answer is out (or pending): take the next request once it has left. */
  answered(): void {
    this.#busy = false;
    if (this.#out.empty) this.#afterAnswer(this.#env.now);
  }

  /** After an answer left: take the next buffered request, or wait for one. */
  #afterAnswer(now: number): void {
    if (this.#busy || this.closed) return;
    const held = this.#input;
    this.#input = null;
    if (held !== null) this.#run(held, 0, held.length);
    else this.#waitIdle(now);
    if (!this.closed && this.reading) this.#io.resume();
  }
}
