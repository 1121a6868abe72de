/**
 * One HTTP/1.1 connection as a state machine, apart from its socket: the owner feeds it received
 * bytes and readiness, and it answers through {@link SessionIO}. Cached files are answered from
 * prebuilt bytes, synchronously, a pipelined batch with one send; every other request becomes a
 * `Request` for the static handler and its `Response` is written back with backpressure, in order.
 *
 * @module
 */
import { BAD, ChunkedSkipper, MORE } from "./_chunked.ts";
import type { ConnForm } from "./_fast.ts";
import { FastAnswers, replayable } from "./_fast.ts";
import { INCOMPLETE, MAX_HEADER_BYTES, MAX_REQUEST_LINE } from "./_parser.ts";
import { errorHead, serializeHead } from "./_serialize.ts";
import type { Http1Env } from "./_env.ts";

/** What a session needs from its socket. */
export interface SessionIO {
  /**
   * Sends `bytes[0..len)` now; returns how many the kernel took, or -1 when the peer is gone.
   * `last`: the connection closes right after, so the kernel may hold the bytes for the FIN
   * (MSG_MORE): answer and FIN leave in one segment.
   */
  send(bytes: Uint8Array, len: number, last?: boolean): number;
  /** Closes the socket (the session is finished). */
  close(): void;
  /** Reads again: the session can take more bytes now (sockets are edge-triggered). */
  resume(): void;
  /** Moves the connection's deadline (on the loop's clock); 0 clears it. */
  setDeadline(at: number): void;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
/** Bytes kept while the handler works on a request; past it the socket is not read. */
const MAX_BUFFERED = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 1024;
/** Largest body read whole to be sent with its head in one write. */
const WHOLE_BODY = 256 * 1024;

/** Which deadline runs: none, a head arriving (or a body skipped), idle, or a stalled send. */
export const Wait = { None: 0, Head: 1, Idle: 2, Send: 3 } as const;
/** One of {@link Wait}'s values. */
export type Wait = typeof Wait[keyof typeof Wait];

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
  /** unsent output */
  #output: Uint8Array | null = null;
  #closeAfterOutput = false;
  /** the handler is answering a request: later requests wait */
  #busy = false;
  #skip = 0;
  #chunked: ChunkedSkipper | null = null;
  #drained: (() => void) | null = null;
  #peerDone = false;
  /** The server is stopping: close after the answer in progress. */
  draining = false;

  constructor(env: Http1Env, io: SessionIO, client: string, now: number) {
    this.#env = env;
    this.#io = io;
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
    if (!this.#busy && this.#output === null) this.close();
  }

  /** Whether the owner should read the socket now (false while answers are pending). */
  get reading(): boolean {
    return !this.closed && this.#output === null &&
      (!this.#busy || (this.#input?.length ?? 0) < MAX_BUFFERED);
  }

  /** Whether the session has no request in progress (drains close such connections). */
  get idle(): boolean {
    return !this.#busy && this.#output === null && this.#input === null && this.wait === Wait.Idle;
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
    const out = this.#output;
    if (out === null || this.closed) return;
    this.#output = null;
    if (!this.#send(out, out.length, now)) return;
    if (this.#output !== null) return;
    const wake = this.#drained;
    this.#drained = null;
    if (this.#closeAfterOutput) return this.close();
    if (wake !== null) wake();
    else this.#afterAnswer(now);
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
    this.#output = null;
    this.wait = Wait.None;
    this.#io.close();
    const wake = this.#drained;
    this.#drained = null;
    wake?.();
  }

  /** Parses and answers what `data[start..end)` holds. */
  #run(data: Uint8Array, start: number, end: number): void {
    const env = this.#env;
    const parser = env.parser;
    const now = env.now;
    let off = start;
    let batched = 0;
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
          this.#flushBatch(batched, now);
          return this.#closeWhenSent();
        }
        off = at;
        continue;
      }
      const n = parser.parse(data, off, end);
      if (n === INCOMPLETE) break;
      if (n < 0) {
        batched = this.#flushBatch(batched, now);
        if (this.closed) return;
        this.#fail(-n, now);
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
        batched = this.#append(CONTINUE, CONTINUE.length, batched);
      }
      const form: ConnForm = !parser.keepAlive ? 1 : parser.minor === 0 ? 2 : 0;
      if ((method === "GET" || head) && parser.plain && env.fast !== null) {
        const entry = env.fast.find(
          FastAnswers.key(parser.target, parser.acceptEncoding),
          now,
        );
        const inm = parser.ifNoneMatch;
        const answer = entry === undefined
          ? undefined
          : inm === null
          ? entry.ok
          : inm === entry.etag
          ? entry.notModified ?? undefined
          : undefined;
        if (answer !== undefined) {
          const bytes = answer.answer(form, env.date);
          const len = head ? answer.headLength[form]! : bytes.length;
          batched = this.#append(bytes, len, batched);
          if (env.onFast !== null) env.onFast(this, method, parser.target, answer);
          if (form === 1) {
            this.#flushBatch(batched, now, true);
            if (!this.closed) this.#closeWhenSent();
            return;
          }
          continue;
        }
      }
      // the handler's turn: earlier answers leave first, later requests wait for this one
      batched = this.#flushBatch(batched, now);
      if (this.closed) return;
      const request = env.toRequest(this);
      this.#busy = true;
      this.#deadline(Wait.None, 0);
      if (off < end) this.#input = data.slice(off, end);
      void this.#answer(request, head, parser.minor, parser.keepAlive, form, now);
      return;
    }
    batched = this.#flushBatch(batched, now);
    if (this.closed) return;
    if (off < end) {
      this.#input = data.slice(off, end);
      if (this.#peerDone) return this.#closeWhenSent();
      if (this.wait !== Wait.Head) this.#deadline(Wait.Head, now + env.headerTimeoutMs);
    } else if (this.#output === null) this.#waitIdle(now);
  }

  #waitIdle(now: number): void {
    if (this.#peerDone || this.draining) return this.close();
    if (this.#skip > 0 || this.#chunked !== null) {
      this.#deadline(Wait.Head, now + this.#env.headerTimeoutMs);
    } else this.#deadline(Wait.Idle, now + this.#env.keepAliveTimeoutMs);
  }

  /** Adds an answer to the pipelined batch; returns the batch's new length. */
  #append(bytes: Uint8Array, len: number, batched: number): number {
    const env = this.#env;
    if (batched === 0 && len >= env.batch.length) {
      this.#send(bytes, len, env.now);
      return 0;
    }
    if (batched + len > env.batch.length) {
      batched = this.#flushBatch(batched, env.now);
      if (len >= env.batch.length) {
        this.#send(bytes, len, env.now);
        return 0;
      }
    }
    env.batch.set(len === bytes.length ? bytes : bytes.subarray(0, len), batched);
    return batched + len;
  }

  #flushBatch(batched: number, now: number, last = false): number {
    if (batched > 0 && !this.closed) this.#send(this.#env.batch, batched, now, last);
    return 0;
  }

  /**
   * Sends `bytes[0..len)`, keeping a copy of what the kernel did not take. Returns false when the
   * connection closed.
   */
  #send(bytes: Uint8Array, len: number, now: number, last = false): boolean {
    if (this.closed) return false;
    if (this.#output !== null) {
      // already waiting: queue behind what is pending
      const joined = new Uint8Array(this.#output.length + len);
      joined.set(this.#output);
      joined.set(bytes.subarray(0, len), this.#output.length);
      this.#output = joined;
      return true;
    }
    const sent = this.#io.send(bytes, len, last);
    if (sent < 0) {
      this.close();
      return false;
    }
    if (sent < len) {
      this.#output = bytes.slice(sent, len);
      this.#deadline(Wait.Send, now + this.#env.sendTimeoutMs);
    } else if (this.wait === Wait.Send) this.#deadline(Wait.None, 0);
    return true;
  }

  /** Resolves once every pending byte left (or the connection closed). */
  #whenSent(): Promise<void> | null {
    if (this.#output === null || this.closed) return null;
    return new Promise((resolve) => this.#drained = resolve);
  }

  #closeWhenSent(): void {
    if (this.closed) return;
    if (this.#output === null) this.close();
    else this.#closeAfterOutput = true;
  }

  /** Answers a request the parser refused, then closes. */
  #fail(status: number, now: number): void {
    const env = this.#env;
    const text = errorHead(status, env.serverName, env.date.text);
    const bytes = new TextEncoder().encode(text);
    env.onError?.(this, status, bytes.length);
    this.#send(bytes, bytes.length, now, true);
    if (!this.closed) this.#closeWhenSent();
  }

  async #answer(
    req: Request | number,
    head: boolean,
    minor: number,
    keepAlive: boolean,
    form: ConnForm,
    started: number,
  ): Promise<void> {
    const env = this.#env;
    if (typeof req === "number") {
      this.#fail(req, started);
      return;
    }
    let res: Response;
    try {
      const r = env.respond(req, this);
      res = r instanceof Promise ? await r : r;
    } catch (err) {
      res = env.failed(req, err);
    }
    if (this.closed) {
      void res.body?.cancel();
      return;
    }
    const h = serializeHead(res, { head, minor, keepAlive, date: env.date.text });
    const headBytes = new TextEncoder().encode(h.text);
    try {
      if (h.framing === "none") {
        void res.body?.cancel();
        this.#send(headBytes, headBytes.length, env.now);
        this.#rememberNotModified(req, res);
      } else if (h.framing === "length" && h.length <= WHOLE_BODY) {
        const body = await res.bytes();
        if (this.closed) return;
        const all = new Uint8Array(headBytes.length + body.length);
        all.set(headBytes);
        all.set(body, headBytes.length);
        this.#send(all, all.length, env.now);
        if (env.fast !== null && req.method === "GET" && replayable(res) && this.#plain(req)) {
          env.fast.rememberOk(
            FastAnswers.key(this.#target(req), req.headers.get("accept-encoding")),
            res,
            body,
            started,
          );
        }
      } else {
        this.#send(headBytes, headBytes.length, env.now);
        await this.#stream(res.body!, h.framing === "chunked");
      }
    } catch (err) {
      env.onStreamError?.(err);
      return this.close();
    }
    if (this.closed) return;
    if (!h.keepAlive || form === 1 || this.draining) {
      this.#closeWhenSent();
      return;
    }
    this.#busy = false;
    if (this.#output === null) this.#afterAnswer(env.now);
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

  /** Streams a body, waiting for the socket whenever the kernel's buffer is full. */
  async #stream(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    const reader = body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (this.closed) return;
        if (done) break;
        if (value.length === 0) continue;
        if (chunked) {
          const size = new TextEncoder().encode(`${value.length.toString(16)}\r\n`);
          this.#send(size, size.length, this.#env.now);
          this.#send(value, value.length, this.#env.now);
          this.#send(CRLF, 2, this.#env.now);
        } else this.#send(value, value.length, this.#env.now);
        const wait = this.#whenSent();
        if (wait !== null) await wait;
      }
      if (chunked) this.#send(LAST_CHUNK, LAST_CHUNK.length, this.#env.now);
    } finally {
      if (this.closed) void reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  #rememberNotModified(req: Request, res: Response): void {
    const fast = this.#env.fast;
    const inm = req.headers.get("if-none-match");
    if (fast === null || res.status !== 304 || inm === null || !this.#plain(req)) return;
    fast.rememberNotModified(
      FastAnswers.key(this.#target(req), req.headers.get("accept-encoding")),
      res,
      inm,
    );
  }

  #plain(req: Request): boolean {
    const h = req.headers;
    return !h.has("range") && !h.has("if-match") && !h.has("if-modified-since") &&
      !h.has("if-unmodified-since") && !h.has("if-range");
  }

  #target(req: Request): string {
    return (req as Request & { [TARGET]?: string })[TARGET] ?? "";
  }
}

/** Where the engine keeps a request's raw target on the `Request` it built. */
export const TARGET = Symbol("netlab.target");

const CRLF = new TextEncoder().encode("\r\n");
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
