/**
 * The raw engine's client on lib/loop (and lib/tls for https): one object per connection slot,
 * driven by its socket's readiness as wrk's connections are. A request moves through one state
 * (connecting, handshaking, sending, receiving) in the loop's callbacks and settles one promise
 * at its end: no promise, closure or AbortController per connection or per read, the read
 * buffer and the parser reused. Its failures and their causes are the promise client's
 * (`_conn_client.ts`), which runs on Deno's sockets.
 *
 * @module
 */
import { errnoError, isConnectFailure, type SockAddr, type SocketHandler } from "../../loop/mod.ts";
import { TLS_FAILED } from "../../tls/stream.ts";
import { handshakeError } from "../../tls/async_socket.ts";
import { type EngineClient, Outcome, type Sample } from "../engine.ts";
import { HttpParseError } from "../_http_parser.ts";
import { ClientBase, ioFailure } from "./_client_base.ts";
import { LoopConn, type LoopTarget, WAIT } from "./_loop_conn.ts";

const IDLE = 0, CONNECTING = 1, SHAKING = 2, SENDING = 3, RECEIVING = 4;
type State = typeof IDLE | typeof CONNECTING | typeof SHAKING | typeof SENDING | typeof RECEIVING;

/** One connection slot on the loop. */
export class LoopClient extends ClientBase implements EngineClient, SocketHandler {
  #target: LoopTarget;
  #conn: LoopConn;
  #state: State = IDLE;
  #done: (() => void) | null = null;
  #sent = 0;
  #first = true;
  /** When the request's connect, and its handshake, began. */
  #t0 = 0;
  #th = 0;
  #addrs: SockAddr[] | null = null;
  #candidate = 0;

  constructor(target: LoopTarget, ...base: ConstructorParameters<typeof ClientBase>) {
    super(...base);
    this.#target = target;
    this.#conn = new LoopConn(target);
  }

  async request(s: Sample): Promise<void> {
    this.abortReason = null;
    s.start = performance.now();
    if (this.#conn.fd < 0) {
      if (!(await this.enterGate(s))) return;
      if (this.#target.addr === null && this.#addrs === null && !(await this.#lookUp(s))) return;
    }
    this.begin(s);
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#sent = 0;
      if (this.#conn.fd >= 0) {
        this.reused = true;
        this.#state = SENDING;
        this.#send();
      } else {
        this.#connect();
      }
    });
  }

  /** Looks the name up (once per client): false when that failed or the run stopped meanwhile. */
  async #lookUp(s: Sample): Promise<boolean> {
    let failure: [Outcome, string] | null = null;
    try {
      this.#addrs = await this.#target.candidates();
    } catch (err) {
      failure = [Outcome.Connect, this.connectCause(err)];
    }
    if (this.abortReason !== null) failure = this.abortOutcome(this.abortReason);
    if (failure === null) return true;
    this.begin(s);
    this.fail(s, ...failure);
    this.ungate();
    this.sample = null;
    return false;
  }

  #connect(): void {
    const addr = this.#target.addr ?? this.#addrs![this.#candidate]!;
    this.#t0 = performance.now();
    const errno = this.#conn.open(addr, this);
    if (errno !== 0) return this.#connectFailed(errno);
    this.#state = CONNECTING;
  }

  #connectFailed(errno: number): void {
    this.close();
    const addrs = this.#addrs;
    if (this.#target.addr === null && addrs !== null && this.#candidate < addrs.length - 1) {
      this.#candidate++;
      return this.#connect();
    }
    this.#end(Outcome.Connect, this.connectCause(errnoError(errno, "connect")));
  }

  #connected(): void {
    this.ungate();
    const target = this.#target;
    target.addr ??= this.#addrs![this.#candidate]!;
    if (target.tls === null) {
      this.sample!.connectMs = performance.now() - this.#t0;
      this.#state = SENDING;
      return this.#send();
    }
    if (!this.#conn.startTls()) {
      return this.#end(Outcome.Connect, "cannot start TLS on the connection");
    }
    this.#state = SHAKING;
    this.#th = performance.now();
    this.#shake();
  }

  #shake(): void {
    const conn = this.#conn;
    const tls = conn.tls!;
    const r = tls.handshake();
    if (r === 0) return;
    if (r === TLS_FAILED) {
      const err = handshakeError(this.#target.tls!, tls, conn.hungUp);
      return this.#end(Outcome.Connect, this.connectCause(err));
    }
    // The handshake read until the server's flight was whole, and what the server sends next
    // (tickets, the response) comes after it, with an edge of its own: the request's first
    // read waits for that edge (or for what OpenSSL already holds) instead of saying EAGAIN.
    conn.canRead = false;
    const s = this.sample!;
    const now = performance.now();
    s.handshakeMs = now - this.#th;
    s.connectMs = now - this.#t0;
    this.noteHandshake(s, tls);
    this.#state = SENDING;
    this.#send();
  }

  #send(): void {
    const bytes = this.bytes;
    while (this.#sent < bytes.length) {
      const n = this.#conn.send(this.#sent === 0 ? bytes : bytes.subarray(this.#sent));
      if (n === WAIT) return;
      if (n instanceof Error) return this.#ioFailed(n);
      this.#sent += n;
    }
    this.sample!.writeDone = performance.now();
    this.#state = RECEIVING;
    this.#first = true;
    this.#receive();
  }

  #receive(): void {
    const p = this.parser;
    for (;;) {
      const buf = this.buf;
      const n = this.#conn.recv(buf);
      if (n === WAIT) return;
      if (n instanceof Error) return this.#ioFailed(n);
      if (n === 0) return this.#eof();
      const s = this.sample!;
      if (this.#first) {
        s.firstByte = performance.now();
        this.#first = false;
      }
      try {
        p.feed(buf, 0, n);
      } catch (err) {
        if (!(err instanceof HttpParseError)) throw err;
        return this.#end(Outcome.Exception, `invalid response: ${err.message}`);
      }
      this.grow(n);
      if (p.done) return this.#complete();
    }
  }

  #eof(): void {
    const p = this.parser;
    if (p.eof()) return this.#complete();
    if (p.empty && this.idleRetry()) return this.#retry();
    this.#end(
      Outcome.Receive,
      p.empty
        ? "connection closed before any response"
        : "connection closed before the response was complete",
    );
  }

  /** A kept-alive connection the server closed while idle: once more on a new one, as ab does. */
  #retry(): void {
    this.close();
    this.attempt++;
    this.reused = false;
    this.#sent = 0;
    this.parser.reset(this.head);
    this.#connect();
  }

  #ioFailed(err: Error): void {
    const idle = err instanceof Deno.errors.ConnectionReset ||
      err instanceof Deno.errors.BrokenPipe;
    if (idle && this.parser.empty && this.idleRetry()) return this.#retry();
    const c = ioFailure(err);
    this.#end(c.outcome, c.cause);
  }

  #complete(): void {
    const s = this.sample!;
    this.finishComplete(s);
    if (!this.parser.keepAlive) this.close();
    else this.#state = IDLE;
    this.#settle();
  }

  #end(outcome: Outcome, cause: string): void {
    const s = this.sample;
    if (s === null) return;
    this.fail(s, outcome, cause);
    this.#settle();
  }

  #settle(): void {
    this.ungate();
    const done = this.#done;
    this.sample = null;
    this.#done = null;
    done?.();
  }

  abort(reason: "timeout" | "stop"): void {
    this.abortReason = reason;
    this.close();
    if (this.sample !== null) this.#end(...this.abortOutcome(reason));
  }

  close(): void {
    this.#conn.close();
    this.#state = IDLE;
  }

  /** @internal the loop's callback */
  onReadable(rdhup: boolean): void {
    const conn = this.#conn;
    conn.canRead = true;
    if (rdhup) conn.hungUp = true;
    const state = this.#state;
    if (state === RECEIVING) this.#receive();
    else if (state === SHAKING) this.#shake();
    else if (state === SENDING && conn.tls?.writeWantsRead) this.#send();
  }

  /** @internal the loop's callback */
  onWritable(): void {
    const state = this.#state;
    if (state === SENDING) this.#send();
    else if (state === CONNECTING) this.#connected();
    else if (state === SHAKING && this.#conn.tls!.handshakeWantsWrite) this.#shake();
    else if (state === RECEIVING && this.#conn.tls?.readWantsWrite) this.#receive();
  }

  /** @internal the loop's callback */
  onHangup(): void {
    const conn = this.#conn;
    if (this.#state === CONNECTING) {
      // only a refused, unreachable or timed-out connect failed; a reset says it connected
      // (the peer accepted, answered and reset in one batch of events): reads give it after
      // the data
      const errno = this.#target.loop.socketError(conn.fd);
      if (isConnectFailure(errno)) return this.#connectFailed(errno);
      conn.error = errno;
      conn.hungUp = conn.canRead = true;
      return this.#connected();
    }
    conn.hungUp = conn.canRead = true;
    const state = this.#state;
    if (state === RECEIVING) this.#receive();
    else if (state === SHAKING) this.#shake();
    else if (state === SENDING) this.#send();
  }
}
