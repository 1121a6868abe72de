/**
 * One client connection on the epoll engine, as a state machine fed by the event loop:
 * connecting (to one backend after another), open (forwarding both ways until both directions
 * have ended), failing (the backend failed: what it sent is passed on, then the client is reset),
 * closed. Each descriptor is a `Handle`; each direction a `Pipe` (`_pipe.ts`), which moves bytes
 * and reports, while this file decides. No promise, closure or string per operation; strings are
 * made only when a log line will be printed.
 *
 * The rules: a connect has succeeded once the backend's socket is writable, has taken a byte or
 * has delivered one, whatever else the same event says; only a refused, unreachable or timed-out
 * connect counts against a backend and moves on to the next one, and only while none of the
 * client's bytes has gone (no replay, no smuggling). After that, a backend's failure ends the
 * client's connection at once: what the backend sent first is forwarded, then the client gets a
 * reset (SO_LINGER 0), so a response cut short is never taken for a whole one.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { describeConnectError } from "../_connect.ts";
import { formatAddress } from "../backend_spec.ts";
import { type EndReason, quietLimit } from "../proxy.ts";
import {
  errnoError,
  type EventLoop,
  FdWire,
  Handle,
  isConnectFailure,
  LINUX as C,
  peerAddr,
  type SocketHandler,
  type Wire,
} from "../../loop/mod.ts";
import { TlsWire } from "../../tls/wire.ts";
import type { TunnelHost } from "./_tunnel_host.ts";
import { Upstream, type UpstreamOwner, UpstreamTls } from "./_upstream.ts";
import { Attempts, connectSucceeded } from "./_choice.ts";
import { logBackendFailed, logEnded, logForwarded, noBackend } from "./_log.ts";
import { DST_FAILED, END, FULL, Pipe, type PipeResult, SRC_FAILED } from "./_pipe.ts";

const CONNECTING = 0;
const OPEN = 1;
/** The backend failed: forwarding what it sent before, then resetting the client. */
const FAILING = 2;
const CLOSED = 3;

const EPIPE = 32;
const ECONNRESET = 104;

/** A client connection and, once connected, its backend connection. */
export class Tunnel implements SocketHandler, UpstreamOwner {
  readonly #host: TunnelHost;
  readonly #loop: EventLoop;
  readonly #client: Handle;
  /** The client's bytes: its socket, or the TLS on it (`--cert`). */
  readonly #clientWire: Wire;
  #server: Handle | undefined;
  #serverWire: Wire | undefined;
  #upstream: Upstream | undefined;
  #state = CONNECTING;
  /** The backends tried; its `backend` is the one connecting or connected. */
  readonly #attempts = new Attempts();
  #clientHost: string;
  /** The client as logs print it, made when first needed. */
  #from: string | undefined;
  readonly #up = new Pipe(false);
  readonly #down = new Pipe(true);
  #firstFin: EndReason | undefined;
  /** The backend's errno while failing. */
  #failed = 0;
  #started: number;
  /** Connected, or a FIN passed on: quiet time counts from here too. */
  #markAt: number;

  /**
   * @param fd the accepted client socket (the tunnel owns it from now on)
   * @param clientHost the client's address when the strategy hashes it, else ""
   * @param from the client as logs print it, when known already
   * @param header a PROXY header to send the backend first (`--send-proxy`)
   * @param tls the client's TLS, its handshake done and its socket registered with it (`--cert`)
   */
  constructor(
    host: TunnelHost,
    fd: number,
    clientHost: string,
    from: string | undefined,
    header?: Uint8Array,
    tls?: TlsWire,
  ) {
    this.#host = host;
    this.#loop = host.loop;
    this.#client = new Handle(host.loop, fd, this);
    if (tls !== undefined) tls.attach(this, this.#client);
    this.#clientWire = tls ?? new FdWire(host.loop, this.#client);
    this.#clientHost = clientHost;
    this.#from = from;
    this.#started = this.#markAt = host.loop.now;
    // sent whole on connect, like bytes a failed connect left pending, before any client byte
    this.#up.pending = header;
  }

  /** Registers the client socket (a TLS one is already); on failure closes it, returns the errno. */
  watch(): number {
    const wire = this.#clientWire;
    if (wire instanceof TlsWire) return 0;
    const errno = this.#client.watch(this);
    if (errno !== 0) {
      wire.release();
      this.#client.close();
    }
    return errno;
  }

  /** The client as logs print it (made when first needed, while its socket is open). */
  #name(): string {
    if (this.#from === undefined) {
      const a = peerAddr(this.#loop, this.#client.fd);
      this.#from = a ? formatAddress(a.hostname, a.port) : "a client";
    }
    return this.#from;
  }

  // the connect phase

  /** Connects to the next backend the strategy picks; with none left, closes the client. */
  connectNext(): void {
    const { ctx, loop } = this.#host;
    while (this.#state === CONNECTING) {
      const backend = this.#attempts.next(ctx, this.#clientHost);
      if (!backend) break;
      this.#upstream ??= new Upstream(this);
      const h = Handle.connect(loop, this.#host.addrOf(backend), this.#upstream);
      if (typeof h !== "number") {
        backend.active++;
        this.#server = h;
        loop.setOption(h.fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
        const wire = this.#serverWire = this.#wireTo(h, backend);
        this.#up.traffic = this.#down.traffic = backend.bytes;
        this.#client.setDeadline(loop.now + ctx.settings.connectTimeoutMs);
        // the request is usually there already, and on loopback the connect is done by now:
        // send it at once (what a failed connect left pending went to no backend: sent whole)
        if (this.#up.pending !== undefined) this.#afterUp(this.#up.flush(loop, wire));
        if (this.#up.pending === undefined) this.#pumpUp();
        return;
      }
      if (!isConnectFailure(-h)) {
        // our shortage (descriptors, ports, memory), not the backend's: held against no backend,
        // and said once a second
        this.#host.outOfDescriptors(-h);
        ctx.counters.unserved++;
        return this.#close(false);
      }
      this.#attempts.failed(ctx, this.#name(), describeConnectError(errnoError(-h, "connect")));
    }
    if (this.#state !== CONNECTING) return;
    noBackend(ctx, this.#name(), this.#attempts.lastError);
    this.#close(false);
  }

  /** The backend connection's wire: its socket, or a TLS client on it (`--backend-tls`). */
  #wireTo(h: Handle, backend: Backend): Wire {
    const tls = this.#host.backendTls;
    const up = this.#upstream!;
    up.tls = null;
    if (tls === null) return new FdWire(this.#loop, h);
    const stream = tls.connect(h.fd, backend.host);
    // OpenSSL could not make an SSL (memory): the handshake fails at once, as a backend error
    if (stream === null) return new FdWire(this.#loop, { fd: -1 });
    return up.tls = new TlsWire(this.#loop, h, stream, new UpstreamTls(this));
  }

  /** Why the backend's TLS handshake failed, when it has (`--backend-tls`). */
  #tlsFailure(): string | undefined {
    const tls = this.#upstream?.tls;
    if (tls == null || tls.stream.established || tls.error === "") return undefined;
    return `TLS handshake failed: ${tls.error}`;
  }

  /** Frees the backend connection's TLS (keeping its session to resume) and closes it. */
  #closeServer(): void {
    const wire = this.#serverWire;
    if (wire instanceof TlsWire) this.#host.backendTls?.keepSession(wire.stream);
    wire?.release();
    this.#serverWire = undefined;
    this.#server!.close();
  }

  /** The connect in progress failed (nothing was sent): drop it and try the next backend. */
  #retry(message: string): void {
    this.#closeServer();
    this.#server = undefined;
    this.#attempts.backend!.active--;
    this.#attempts.failed(this.#host.ctx, this.#name(), message);
    this.connectNext();
  }

  #connected(): void {
    const { ctx, logging, loop } = this.#host;
    this.#state = OPEN;
    const backend = this.#attempts.backend!;
    backend.total++;
    connectSucceeded(backend);
    if (logging) logForwarded(ctx.log, this.#name(), backend);
    this.#markAt = loop.now;
    this.#arm();
  }

  // deadlines

  #lastActive(): number {
    return Math.max(this.#markAt, this.#up.activeAt, this.#down.activeAt);
  }

  /** The quiet time that ends the connection now (0: none), and whether it is the fin timeout. */
  #limit(): number {
    const { idleTimeoutMs, finTimeoutMs } = this.#host.ctx.settings;
    return quietLimit(idleTimeoutMs, finTimeoutMs, this.#up.shut || this.#down.shut);
  }

  /** Sets the deadline of the quiet limit in force now (idle, or fin once half-closed). */
  #arm(): void {
    const ms = this.#limit();
    if (ms > 0) this.#client.setDeadline(this.#lastActive() + ms);
    else this.#client.clearDeadline();
  }

  /** @internal the client handle's deadline */
  onDeadline(now: number): void {
    if (this.#state === CONNECTING) {
      return this.#retry(`connect timed out after ${this.#host.ctx.settings.connectTimeoutMs} ms`);
    }
    if (this.#state === CLOSED) return;
    const ms = this.#limit();
    if (ms === 0) return;
    if (now - this.#lastActive() < ms) return this.#arm();
    const fin = ms !== this.#host.ctx.settings.idleTimeoutMs;
    this.#end(fin ? "fin timeout" : "idle timeout", 0);
  }

  // forwarding

  /** Client to backend, unless waiting: a pending buffer, the client's end, no new bytes. */
  #pumpUp(): void {
    const up = this.#up;
    if (this.#state > OPEN || up.pending !== undefined || up.eof || !up.ready) return;
    this.#afterUp(up.pump(this.#loop, this.#clientWire, this.#serverWire!, this.#host.buf));
  }

  /** Decides after the up direction moved: a byte that went means the connect succeeded. */
  #afterUp(r: PipeResult): void {
    const up = this.#up;
    if (r === DST_FAILED) return this.#backendSendFailed(up.errno);
    if (this.#state === CONNECTING && up.sent > 0) this.#connected();
    if (r === END) {
      if (this.#state === OPEN) this.#finUp(); // else once connected
    } else if (r === SRC_FAILED) {
      // a client that fails before its backend answered: nothing to log
      if (this.#state === CONNECTING) return this.#close(false);
      this.#clientError(up.errno);
    } else if (r !== FULL && up.pending === undefined && up.eof && this.#state === OPEN) {
      this.#finUp();
    }
  }

  /** A send to the backend failed: a failed connect while nothing went, else a failed backend. */
  #backendSendFailed(errno: number): void {
    if (this.#state === CONNECTING && this.#up.sent === 0) {
      if (isConnectFailure(errno)) {
        return this.#retry(describeConnectError(errnoError(errno, "connect")));
      }
      const tls = this.#tlsFailure();
      if (tls !== undefined) return this.#retry(tls);
    }
    // a reset or a broken pipe: the connection was made, then lost
    if (this.#state === CONNECTING) this.#connected();
    this.#backendFailed(errno);
  }

  /** Backend to client, the same way. */
  #pumpDown(): void {
    const down = this.#down;
    if (this.#state !== OPEN || down.pending !== undefined || down.eof || !down.ready) return;
    const r = down.pump(this.#loop, this.#serverWire!, this.#clientWire, this.#host.buf);
    if (r === END) this.#finDown();
    else if (r === SRC_FAILED) this.#backendFailed(down.errno);
    else if (r === DST_FAILED) this.#clientError(down.errno);
  }

  #flushUp(): void {
    this.#afterUp(this.#up.flush(this.#loop, this.#serverWire!));
    if (this.#up.pending === undefined) this.#pumpUp();
  }

  #flushDown(): void {
    const down = this.#down;
    const r = down.flush(this.#loop, this.#clientWire);
    if (r === DST_FAILED) return this.#clientError(down.errno);
    if (r === FULL) return;
    if (down.eof) this.#finDown();
    else this.#pumpDown();
  }

  /** The client's FIN, once everything before it reached the backend: pass it on. */
  #finUp(): void {
    this.#fin(this.#up, this.#down, this.#serverWire!, "client closed");
  }

  #finDown(): void {
    this.#fin(this.#down, this.#up, this.#clientWire, "backend closed");
  }

  /** Passes `pipe`'s FIN on to `dst` once its pending bytes went; the second FIN ends it all. */
  #fin(pipe: Pipe, other: Pipe, dst: Wire, reason: EndReason): void {
    if (pipe.pending !== undefined || pipe.shut) return;
    this.#firstFin ??= reason;
    pipe.shut = true;
    if (other.shut) return this.#end(this.#firstFin, 0);
    // ENOTCONN: the peer is gone already, nothing more can flow either way
    if (dst.shutdownWrite() !== 0) return this.#end(this.#firstFin, 0);
    this.#markAt = this.#loop.now;
    this.#arm();
  }

  /**
   * The backend failed (a reset, most often): no more of the client's bytes go anywhere; what
   * the backend sent before is forwarded, then the client is reset.
   */
  #backendFailed(errno: number): void {
    if (this.#state !== OPEN) return;
    this.#state = FAILING;
    this.#failed = errno;
    this.#up.pending = undefined;
    this.#drainDown();
  }

  /** While failing: forwards what the backend left readable, then ends with a reset. */
  #drainDown(): void {
    const { buf } = this.#host;
    const r = this.#down.drain(this.#loop, this.#serverWire!, this.#clientWire, buf);
    if (r === FULL) return; // the rest when the client can take it
    this.#end("backend error", this.#failed);
  }

  /**
   * An error on the client's socket. After the client's own FIN it is how a client that has
   * read all it wanted goes away (a TLS client after the whole body): "client closed".
   */
  #clientError(errno: number): void {
    if (this.#up.eof && (errno === EPIPE || errno === ECONNRESET)) {
      return this.#end("client closed", 0);
    }
    this.#end("client error", errno);
  }

  /** Ends the conversation: logs how it ended, closes both sockets (resetting a failed backend's client). */
  #end(reason: EndReason, errno: number): void {
    if (this.#state !== OPEN && this.#state !== FAILING) return;
    const { ctx, logging, loop } = this.#host;
    const backend = this.#attempts.backend!;
    // a failed backend's client is reset however the end comes (a timeout, a shutdown)
    const failed = reason === "backend error" || this.#state === FAILING;
    const error = errno === 0 ? undefined : errnoError(errno, "recv");
    if (reason === "backend error" && this.#down.sent === 0) {
      logBackendFailed(ctx.log, this.#name(), backend, error?.message ?? reason);
    }
    if (logging) {
      const { sent: up } = this.#up, { sent: down } = this.#down;
      logEnded(ctx.log, this.#name(), backend, reason, error, up, down, loop.now - this.#started);
    }
    this.#close(failed);
  }

  /** Closes both sockets; `reset` sends the client a reset instead of a FIN. */
  #close(reset: boolean): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#clientWire.release();
    if (reset) this.#client.reset();
    else this.#client.close();
    if (this.#server !== undefined) {
      this.#closeServer();
      this.#attempts.backend!.active--;
    }
    this.#up.pending = this.#down.pending = undefined;
    this.#host.ended(this);
  }

  // client socket events

  onReadable(rdhup: boolean): void {
    if (rdhup) this.#up.rdhup = true;
    this.#up.ready = true;
    this.#pumpUp();
  }

  onWritable(): void {
    if (this.#state === FAILING) this.#drainDown();
    else if (this.#down.pending !== undefined) this.#flushDown();
  }

  onHangup(): void {
    this.#up.rdhup = this.#up.ready = true;
    if (this.#state === FAILING) return this.#end("backend error", this.#failed);
    if (this.#state !== OPEN) return; // read once connected
    if (this.#down.pending !== undefined) this.#flushDown();
    this.#pumpUp();
    if (this.#state !== OPEN) return;
    const errno = this.#loop.socketError(this.#client.fd);
    if (errno !== 0) this.#clientError(errno);
  }

  // backend socket events

  backendReadable(rdhup: boolean): void {
    // bytes from the backend: it is connected, whatever else this event says
    if (this.#state === CONNECTING) this.backendWritable();
    if (rdhup) this.#down.rdhup = true;
    this.#down.ready = true;
    this.#pumpDown();
  }

  backendWritable(): void {
    if (this.#state === CONNECTING) {
      this.#connected();
      if (this.#up.pending !== undefined) this.#flushUp();
      else if (this.#up.eof) this.#finUp();
      else this.#pumpUp();
    } else if (this.#state === OPEN && this.#up.pending !== undefined) this.#flushUp();
  }

  backendHangup(): void {
    if (this.#state > OPEN) return;
    // read first: a send would consume it, and a reset would then read as a clean end
    const errno = this.#loop.socketError(this.#server!.fd);
    if (this.#state === CONNECTING) {
      if (errno !== 0 && isConnectFailure(errno) && this.#up.sent === 0) {
        return this.#retry(describeConnectError(errnoError(errno, "connect")));
      }
      const tls = this.#tlsFailure();
      if (tls !== undefined && this.#up.sent === 0) return this.#retry(tls);
      this.#connected(); // it connected, then hung up (an answer and a reset, often)
    }
    if (errno !== 0) return this.#backendFailed(errno);
    // both directions done, cleanly: what is left to read, then the FIN
    this.#down.rdhup = this.#down.ready = true;
    this.#pumpDown();
  }

  /** Ends the connection now, connecting or not (a shutdown). */
  kill(): void {
    if (this.#state === OPEN || this.#state === FAILING) return this.#end("shutdown", 0);
    if (this.#state === CONNECTING) this.#close(false);
  }
}
