/**
 * One HTTP/1.1 connection as a state machine, apart from its socket: the owner feeds it received
 * bytes and readiness, and it answers through {@link SessionIO}. One {@link State} says what the
 * connection waits for. Cached files are answered from prebuilt bytes, synchronously, a
 * pipelined batch with one send; every other request goes to the static handler through the
 * session's {@link HandlerTurn} (`_turn.ts`), which awaits in one place.
 *
 * One answer is in flight at a time, as in nginx and HAProxy: the next pipelined request is
 * parsed only once the previous answers have left (the fast path's batch aside, which is sent
 * as soon as it is full); a client that sends more than it reads then costs one answer's bytes
 * and a bounded input buffer, and never holds the loop.
 *
 * @module
 */
import { refusal } from "./_answer.ts";
import { BAD, BodySkipper, MORE } from "./_chunked.ts";
import { connForm, type Prebuilt } from "./_fast.ts";
import { INCOMPLETE, MAX_HEADER_BYTES, MAX_REQUEST_LINE } from "./_parser.ts";
import type { Http1Env } from "./_env.ts";
import type { SessionIO } from "./_io.ts";
import { Input } from "./_input.ts";
import { Outbox, Sent } from "./_outbox.ts";
import { State } from "./_state.ts";
import { HandlerTurn, type TurnHost } from "./_turn.ts";

export { State };

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
/** Bytes held while an answer is in flight; past it the socket is not read. */
const MAX_BUFFERED = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 1024;

const SHRANK = "The file shrank while being sent; the connection is closed";

/**
 * One connection's protocol state. Its input buffer and its handler turn are made only when a
 * connection needs them (a partial or pipelined head; a request the fast path cannot answer).
 */
export class Session implements TurnHost {
  state: State = State.Head;
  #env: Http1Env;
  #io: SessionIO;
  /** the peer's address as the access log writes it, e.g. `127.0.0.1:50412` */
  readonly client: string;
  #in: Input | null = null;
  #out: Outbox;
  /** The request body being skipped, if any. */
  #body: BodySkipper | null = null;
  /** The peer sent its FIN: nothing more will come. */
  #peerDone = false;
  /** Input was dropped unread: the close lingers. */
  #unread = false;
  /** The server is stopping: close after the answer in progress. */
  draining = false;
  #turn: HandlerTurn | null = null;

  constructor(env: Http1Env, io: SessionIO, client: string, now: number) {
    this.#env = env;
    this.#io = io;
    this.#out = new Outbox(io, env.batch);
    this.client = client;
    io.setDeadline(now + env.headerTimeoutMs);
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** Bytes of input held. */
  get #held(): number {
    return this.#in === null ? 0 : this.#in.length;
  }

  /** Whether the owner should read the socket now. */
  get reading(): boolean {
    const s = this.state;
    return s <= State.Body ||
      (s === State.Handler && this.#out.empty && this.#held < MAX_BUFFERED);
  }

  /** Whether the session has no request in progress, not even part of one (a stop closes it). */
  get idle(): boolean {
    return this.state === State.Idle || (this.state === State.Head && this.#held === 0);
  }

  /** The peer sent its FIN (a read returned 0): answer what it asked for, then close. */
  finish(): void {
    this.#peerDone = true;
    this.#settle();
  }

  /** Takes `buf[0..n)` just received. The bytes are only valid during this call. */
  onData(buf: Uint8Array, n: number): void {
    if (this.state > State.Body) {
      if (this.state !== State.Closed && this.state !== State.Closing) this.#hold(buf, 0, n);
      return;
    }
    if (this.#held === 0) {
      const off = this.#run(buf, 0, n);
      if (off < n && this.state < State.Closing) this.#hold(buf, off, n);
    } else {
      const input = this.#hold(buf, 0, n);
      // a partial head is parsed again only once a new line may have completed it
      const newLine = buf.subarray(0, n).indexOf(10) >= 0;
      if (this.state === State.Head && !newLine && input.length <= MAX_BUFFERED) return;
      this.#runInput();
    }
    this.#settle();
  }

  /** Keeps `buf[from..to)` unparsed for later. */
  #hold(buf: Uint8Array, from: number, to: number): Input {
    const input = this.#in ??= new Input();
    input.append(buf, from, to);
    return input;
  }

  /** The socket can take bytes again. */
  onWritable(now: number): void {
    if (this.state === State.Closed || this.#out.empty) return;
    if (!this.sent(this.#out.flush(), now) || !this.#out.empty) return;
    if (this.state === State.Closing) return this.#close(true);
    this.#turn?.unpark();
    if (this.#out.wake()) return;
    if (this.state === State.Handler) this.#io.setDeadline(0);
    else if (this.state === State.Sending) this.#next();
  }

  /** The deadline passed: nginx closes without an answer in each of these states. */
  onTimeout(): void {
    this.close();
  }

  /** Closes the connection at once and forgets pending work. */
  close(): void {
    this.#close(false);
  }

  /** Closes; `gently`: after a last answer, lingering when input was left unread. */
  #close(gently: boolean): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    const unread = this.#unread || this.#held > 0 || this.#body !== null;
    this.#in?.clear();
    this.#io.close(gently && !this.#peerDone, unread);
    this.#turn?.unpark();
    this.#out.release();
  }

  /** Parses and answers what the held input holds. */
  #runInput(): void {
    const input = this.#in!;
    const off = this.#run(input.bytes, input.start, input.end);
    if (this.state >= State.Closing) input.clear();
    else input.consume(off);
  }

  /**
   * Parses and answers what `data[start..end)` holds, until it is used up, a request needs
   * the handler, or answers wait for the socket. Returns where it stopped.
   */
  #run(data: Uint8Array, start: number, end: number): number {
    const env = this.#env;
    const now = env.now;
    let off = start;
    while (off < end) {
      if (this.#body !== null) {
        off = this.#skipBody(data, off, end);
        if (off < 0) return end;
        continue;
      }
      // one answer in flight: the next request waits until what is pending has left
      if (!this.#out.empty && !this.#mayGoOn(now)) return this.state === State.Closed ? end : off;
      const n = env.parser.parse(data, off, end);
      if (n === INCOMPLETE) {
        if (end - off > MAX_BUFFERED) this.#refuse(431, now);
        break;
      }
      if (n < 0) {
        this.#refuse(-n, now);
        return end;
      }
      const fast = env.fast === null ? undefined : env.fast.forRequest(env.parser, now);
      // the handler's turn: earlier answers leave first; if they cannot, parsed again later
      if (fast === undefined && !this.#mayGoOn(now)) return this.state === State.Closed ? end : off;
      off += n;
      env.requests++;
      this.#bodyFollows(fast !== undefined, now);
      if (fast === undefined) {
        this.#startHandler(now);
        return this.state === State.Closed ? end : off;
      }
      if (this.#answerFast(fast, off < end, now)) continue;
      return end;
    }
    this.#flushBatch(now);
    if (!this.#out.empty && this.state < State.Handler) this.state = State.Sending;
    return off;
  }

  /**
   * Sends the batch (the server's buffer: nothing of this session's may wait in it) before the
   * handler's turn or a wait for the socket; false when something is still pending.
   */
  #mayGoOn(now: number): boolean {
    this.#flushBatch(now);
    if (this.state === State.Closed) return false;
    if (this.#out.empty) return true;
    this.state = State.Sending;
    return false;
  }

  /** The parsed request's body is skipped next; `Expect: 100-continue` gets its answer. */
  #bodyFollows(fast: boolean, now: number): void {
    const parser = this.#env.parser;
    if (parser.contentLength > 0) this.#body = new BodySkipper(parser.contentLength);
    else if (parser.chunked) this.#body = new BodySkipper(-1);
    else return;
    if (!parser.expectContinue || parser.minor !== 1) return;
    // the batch is flushed by the end of this run; a handler's answer is sent directly
    if (fast) this.sent(this.#out.append(CONTINUE, CONTINUE.length), now);
    else this.sent(this.#out.send(CONTINUE, CONTINUE.length, false, true), now);
  }

  /**
   * Answers the parsed request from prebuilt bytes; false when the connection then closes
   * (`more`: input follows, left unread).
   */
  #answerFast(fast: Prebuilt, more: boolean, now: number): boolean {
    if (this.state === State.Closed) return false;
    const env = this.#env;
    const parser = env.parser;
    const form = connForm(parser);
    const bytes = fast.answer(form, env.date);
    const head = parser.method === "HEAD";
    this.sent(this.#out.append(bytes, head ? fast.headLength[form]! : bytes.length), now);
    if (env.onFast !== null) env.onFast(this, parser.method, parser.target, fast);
    if (form !== 1) return true;
    this.#flushBatch(now, true);
    if (more) this.#unread = true;
    this.#closeWhenSent();
    return false;
  }

  /** Hands the parsed request to the handler (or refuses what a `Request` cannot carry). */
  #startHandler(now: number): void {
    const turn = this.#turn ??= new HandlerTurn(this.#env, this, this.#out, this.#io);
    const request = this.#env.toRequest(this);
    if (typeof request === "number") return this.#refuse(request, now);
    this.state = State.Handler;
    this.#io.setDeadline(0);
    turn.start(request, now);
  }

  /** Skips request-body bytes from `off`; returns where they end, or -1 when closed. */
  #skipBody(data: Uint8Array, off: number, end: number): number {
    const at = this.#body!.feed(data, off, end);
    if (at === MORE) return end;
    this.#body = null;
    if (at !== BAD) return at;
    this.#flushBatch(this.#env.now);
    this.#unread = true;
    this.#closeWhenSent();
    return -1;
  }

  /** The previous answer left: parse what is held, then wait for more. */
  #next(): void {
    // a ready state; #settle picks the exact one (and its deadline)
    this.state = State.Idle;
    if (this.#held > 0) this.#runInput();
    this.#settle();
    if (this.reading) this.#io.resume();
  }

  /** After input was taken: the ready state that follows, with its deadline, or the close. */
  #settle(): void {
    const was = this.state;
    if (was > State.Body) return;
    const env = this.#env;
    let next: State = State.Idle;
    if (this.#body !== null) next = State.Body;
    else if (this.#held > 0) next = State.Head;
    // the peer is done: what it sent is answered, a partial request never completes
    if (this.#peerDone || (next === State.Idle && this.draining)) return this.close();
    this.state = next;
    if (next === State.Idle) this.#io.setDeadline(env.now + env.keepAliveTimeoutMs);
    else if (next !== was) this.#io.setDeadline(env.now + env.headerTimeoutMs);
  }

  /** Refuses the request with the engine's own answer, then closes (lingering). */
  #refuse(status: number, now: number): void {
    this.#flushBatch(now);
    if (this.state === State.Closed) return;
    const env = this.#env;
    const bytes = refusal(status, env.serverName, env.date.text, env.refusalFields);
    env.onError?.(this, status, bytes.length);
    this.#unread = true;
    if (this.sent(this.#out.send(bytes, bytes.length, true, true), now)) this.#closeWhenSent();
  }

  /** Sends the pipelined batch; `last`: the connection closes right after. */
  #flushBatch(now: number, last = false): void {
    if (this.state !== State.Closed) this.sent(this.#out.flushBatch(last), now);
  }

  /** @internal Moves the send deadline after a send, or closes; false when closed. */
  sent(sent: Sent, now: number): boolean {
    if (sent === Sent.Gone || sent === Sent.Short) {
      if (sent === Sent.Short) this.#env.onStreamError?.(new Error(SHRANK));
      this.close();
      return false;
    }
    if (sent === Sent.Pending) this.#io.setDeadline(now + this.#env.sendTimeoutMs);
    return true;
  }

  /** Closes once what is pending has left. */
  #closeWhenSent(): void {
    if (this.state === State.Closed) return;
    if (this.#out.empty) this.#close(true);
    else this.state = State.Closing;
  }

  /** @internal The handler's answer is done: close, parse what is held, or wait to send. */
  answered(keepAlive: boolean): void {
    if (this.state !== State.Handler) return;
    if (!keepAlive || this.draining) return this.#closeWhenSent();
    if (this.#out.empty) this.#next();
    else this.state = State.Sending;
  }
}
