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
import { type EventLoop, LINUX as C, type SockAddr, type SocketHandler } from "../../loop/mod.ts";
import { connectSocket, errnoError, isConnectFailure } from "../../loop/mod.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import { TLS_AGAIN, TLS_FAILED, type TlsStream } from "../../tls/stream.ts";
import { type EngineClient, Outcome, type Sample } from "../engine.ts";
import { HttpParseError } from "../_http_parser.ts";
import { handshakeError } from "../../tls/async_socket.ts";
import { ClientBase, ioFailure } from "./_client_base.ts";

/** Where a loop client connects: the loop, the address, and TLS (null for http). */
export interface LoopTarget {
  readonly loop: EventLoop;
  readonly tls: TlsClientContext | null;
  /** The name sent as SNI and checked against the certificate. */
  readonly servername: string;
  /** The address every connection uses once known (a name: the first of its that accepted). */
  addr: SockAddr | null;
  /** The name's addresses in the resolver's order (looked up once). */
  candidates(): Promise<SockAddr[]>;
}

const EPIPE = 32;

const IDLE = 0, CONNECTING = 1, SHAKING = 2, SENDING = 3, RECEIVING = 4;
type State = typeof IDLE | typeof CONNECTING | typeof SHAKING | typeof SENDING | typeof RECEIVING;

/** One connection slot on the loop. */
export class LoopClient extends ClientBase implements EngineClient, SocketHandler {
  #target: LoopTarget;
  #fd = -1;
  #tls: TlsStream | null = null;
  #state: State = IDLE;
  /** The socket may hold bytes: false after EAGAIN or a short read until the next edge. */
  #canRead = false;
  /** The peer's FIN or an error was seen: no edge comes again, so reads go on until the end. */
  #hungUp = false;
  /** The reset a hang-up during the connect left (SO_ERROR, which reading clears). */
  #error = 0;
  #done: (() => void) | null = null;
  #sent = 0;
  #first = true;
  #t0 = 0;
  #addrs: SockAddr[] | null = null;
  #candidate = 0;

  constructor(target: LoopTarget, ...base: ConstructorParameters<typeof ClientBase>) {
    super(...base);
    this.#target = target;
  }

  async request(s: Sample): Promise<void> {
    this.abortReason = null;
    s.start = performance.now();
    if (this.#fd < 0) {
      if (!(await this.enterGate(s))) return;
      if (this.#target.addr === null && this.#addrs === null) {
        try {
          this.#addrs = await this.#target.candidates();
        } catch (err) {
          this.begin(s);
          this.fail(s, Outcome.Connect, this.connectCause(err));
          this.ungate();
          this.sample = null;
          return;
        }
      }
    }
    this.begin(s);
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#sent = 0;
      if (this.#fd >= 0) {
        this.reused = true;
        this.#state = SENDING;
        this.#send();
      } else {
        this.#connect();
      }
    });
  }

  #connect(): void {
    const addr = this.#target.addr ?? this.#addrs![this.#candidate]!;
    this.#t0 = performance.now();
    const fd = connectSocket(this.#target.loop, addr, this);
    if (fd < 0) return this.#connectFailed(-fd);
    this.#fd = fd;
    this.#canRead = this.#hungUp = false;
    this.#error = 0;
    this.#target.loop.setOption(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
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
    this.#tls = target.tls.connect(this.#fd, target.servername);
    if (this.#tls === null) {
      return this.#end(Outcome.Connect, "cannot start TLS on the connection");
    }
    this.#state = SHAKING;
    this.sample!.handshakeMs = performance.now();
    this.#shake();
  }

  #shake(): void {
    const tls = this.#tls!;
    const r = tls.handshake();
    if (r === 0) return;
    if (r === TLS_FAILED) {
      const err = handshakeError(this.#target.tls!, tls, this.#hungUp);
      return this.#end(Outcome.Connect, this.connectCause(err));
    }
    // The handshake read until the server's flight was whole, and what the server sends next
    // (tickets, the response) comes after it, with an edge of its own: the request's first
    // read waits for that edge (or for what OpenSSL already holds) instead of saying EAGAIN.
    this.#canRead = false;
    const s = this.sample!;
    const now = performance.now();
    s.handshakeMs = now - s.handshakeMs;
    s.connectMs = now - this.#t0;
    this.noteHandshake(s, tls);
    this.#state = SENDING;
    this.#send();
  }

  #send(): void {
    const bytes = this.bytes;
    while (this.#sent < bytes.length) {
      const view = this.#sent === 0 ? bytes : bytes.subarray(this.#sent);
      const n = this.#tls === null ? this.#sendPlain(view) : this.#sendTls(view);
      if (n === 0) return; // wait for the socket
      if (n < 0) return;
      this.#sent += n;
    }
    this.sample!.writeDone = performance.now();
    this.#state = RECEIVING;
    this.#first = true;
    this.#receive();
  }

  /** A send: the count, 0 to wait, -1 when the request was ended. */
  #sendPlain(view: Uint8Array): number {
    for (;;) {
      const n = this.#target.loop.send(this.#fd, view, view.length);
      if (n > 0) return n;
      if (n === -C.EINTR) continue;
      if (n === -C.EAGAIN && !this.#hungUp) return 0;
      const errno = n === -C.EAGAIN
        ? this.#error || EPIPE
        : n === -EPIPE && this.#error !== 0
        ? this.#error
        : -n;
      this.#ioFailed(errnoError(errno, "send"));
      return -1;
    }
  }

  #sendTls(view: Uint8Array): number {
    const tls = this.#tls!;
    const n = tls.write(view, view.length);
    if (n !== TLS_FAILED) return n;
    this.#ioFailed(new Deno.errors.BrokenPipe(`send: ${tls.error}`));
    return -1;
  }

  #receive(): void {
    const p = this.parser;
    for (;;) {
      const buf = this.buf;
      const n = this.#tls === null ? this.#recvPlain(buf) : this.#recvTls(buf);
      if (n === -1) return; // wait, or ended
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

  /** A recv: the count, 0 at the end, -1 to wait (or when the request was ended). */
  #recvPlain(buf: Uint8Array): number {
    if (!this.#canRead) return -1;
    for (;;) {
      const n = this.#target.loop.recv(this.#fd, buf, buf.length);
      if (n > 0) {
        // a short read drained the socket: the next bytes come with an edge
        if (n < buf.length && !this.#hungUp) this.#canRead = false;
        return n;
      }
      if (n === 0) break;
      if (n === -C.EINTR) continue;
      if (n === -C.EAGAIN && !this.#hungUp) {
        this.#canRead = false;
        return -1;
      }
      if (n !== -C.EAGAIN) {
        this.#ioFailed(errnoError(-n, "recv"));
        return -1;
      }
      break;
    }
    if (this.#error === 0) return 0;
    this.#ioFailed(errnoError(this.#error, "recv"));
    return -1;
  }

  #recvTls(buf: Uint8Array): number {
    const tls = this.#tls!;
    // nothing new on the socket nor held by OpenSSL: the read would only say EAGAIN
    if (!this.#canRead && !this.#hungUp && !tls.readWantsWrite && !tls.pending) return -1;
    const n = tls.read(buf, buf.length);
    if (n >= 0) return n;
    if (n === TLS_AGAIN) {
      this.#canRead = false;
      return -1;
    }
    // a FIN or reset without close_notify: as Deno's TLS, a reset is an error
    if (tls.error === "the connection broke" && !this.#hungUp) return 0;
    this.#ioFailed(new Deno.errors.ConnectionReset(`recv: ${tls.error}`));
    return -1;
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
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#state = IDLE;
    const tls = this.#tls;
    if (tls !== null) {
      this.#tls = null;
      this.#target.tls!.keepSession(tls);
      tls.free();
    }
    this.#target.loop.close(fd);
  }

  /** @internal the loop's callback */
  onReadable(rdhup: boolean): void {
    this.#canRead = true;
    if (rdhup) this.#hungUp = true;
    const state = this.#state;
    if (state === RECEIVING) this.#receive();
    else if (state === SHAKING) this.#shake();
    else if (state === SENDING && this.#tls?.writeWantsRead) this.#send();
  }

  /** @internal the loop's callback */
  onWritable(): void {
    const state = this.#state;
    if (state === SENDING) this.#send();
    else if (state === CONNECTING) this.#connected();
    else if (state === SHAKING && this.#tls!.handshakeWantsWrite) this.#shake();
    else if (state === RECEIVING && this.#tls?.readWantsWrite) this.#receive();
  }

  /** @internal the loop's callback */
  onHangup(): void {
    if (this.#state === CONNECTING) {
      // only a refused, unreachable or timed-out connect failed; a reset says it connected
      // (the peer accepted, answered and reset in one batch of events): reads give it after
      // the data
      const errno = this.#target.loop.socketError(this.#fd);
      if (isConnectFailure(errno)) return this.#connectFailed(errno);
      this.#error = errno;
      this.#hungUp = this.#canRead = true;
      return this.#connected();
    }
    this.#hungUp = this.#canRead = true;
    const state = this.#state;
    if (state === RECEIVING) this.#receive();
    else if (state === SHAKING) this.#shake();
    else if (state === SENDING) this.#send();
  }
}
