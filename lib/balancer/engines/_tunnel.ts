/**
 * One client connection on the epoll engine, as a state machine fed by the event loop:
 * connecting (to one backend after another), then forwarding both ways until both directions
 * have ended, then closed. Bytes are read into the engine's one shared buffer and sent on at
 * once; only what a socket cannot take right away is copied to a pending buffer of its own, and
 * the side feeding it is not read until it drains (the backpressure). No promise, closure or
 * string per operation; strings are made only when a log line will be printed.
 *
 * @module
 */
import { describeConnectError } from "../_connect.ts";
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import {
  connectSocket,
  errnoError,
  type EventLoop,
  LINUX as C,
  peerAddr,
  type SockAddr,
  type SocketHandler,
  type Timed,
} from "../../loop/mod.ts";
import {
  candidates,
  connectFailed,
  logEnded,
  logForwarded,
  noBackend,
  type SessionContext,
} from "./frontend.ts";
import type { EndReason } from "../proxy.ts";

/** What every tunnel of one engine shares. */
export interface TunnelHost {
  readonly loop: EventLoop;
  readonly ctx: SessionContext;
  /** The one read buffer of the engine. */
  readonly buf: Uint8Array;
  /** Whether info lines (per connection) are printed. */
  readonly logging: boolean;
  /** The socket address of a backend, encoded once. */
  addrOf(backend: Backend): SockAddr;
  /** Called once when a tunnel has closed both sockets. */
  ended(tunnel: Tunnel): void;
  /** Out of descriptors on our side: counted and logged at most once a second. */
  outOfDescriptors(errno: number): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

const EPIPE = 32;
const ECONNRESET = 104;

/** The backend's socket: hands its events to the tunnel. */
class Upstream implements SocketHandler {
  readonly tunnel: Tunnel;
  constructor(tunnel: Tunnel) {
    this.tunnel = tunnel;
  }
  onReadable(rdhup: boolean): void {
    this.tunnel.backendReadable(rdhup);
  }
  onWritable(): void {
    this.tunnel.backendWritable();
  }
  onHangup(): void {
    this.tunnel.backendHangup();
  }
}

/** A client connection and, once connected, its backend connection. */
export class Tunnel implements SocketHandler, Timed {
  timerSlot = -1;
  #host: TunnelHost;
  #loop: EventLoop;
  #cfd: number;
  #bfd = -1;
  #state = CONNECTING;
  #backend: Backend | undefined;
  #upstream: Upstream | undefined;
  /** Backends tried, kept only once a second attempt is needed. */
  #tried: Backend[] | undefined;
  #attempts = 0;
  #lastError = "no backend is up";
  #clientHost: string;
  #from: string | undefined;
  /** Bytes the backend (client) could not take yet, copied out of the shared buffer. */
  #toBackend: Uint8Array | undefined;
  #toClient: Uint8Array | undefined;
  /**
   * Whether a recv() may find bytes: false after a short read or EAGAIN until the next event
   * (edge-triggered), which saves a recv() that would only say EAGAIN.
   */
  #clientReady = true;
  #backendReady = true;
  /** The peer's FIN was seen in an event: read until recv() gives 0. */
  #clientRdhup = false;
  #backendRdhup = false;
  /** recv() gave 0: that direction has ended. */
  #clientEof = false;
  #backendEof = false;
  /** Our FIN was sent on to the other side. */
  #upShut = false;
  #downShut = false;
  #firstFin: EndReason | undefined;
  #up = 0;
  #down = 0;
  #started: number;
  #lastActive: number;

  /**
   * @param fd the accepted client socket (the caller registers it with this tunnel)
   * @param clientHost the client's address when the strategy hashes it, else ""
   * @param from the client as logs print it, when known already
   */
  constructor(host: TunnelHost, fd: number, clientHost: string, from: string | undefined) {
    this.#host = host;
    this.#loop = host.loop;
    this.#cfd = fd;
    this.#clientHost = clientHost;
    this.#from = from;
    this.#started = this.#lastActive = host.loop.now;
  }

  /** Whether the tunnel has closed. */
  get closed(): boolean {
    return this.#state === CLOSED;
  }

  /** The client as logs print it (made when first needed). */
  #client(): string {
    if (this.#from === undefined) {
      const a = peerAddr(this.#loop, this.#cfd);
      this.#from = a ? formatAddress(a.hostname, a.port) : "a client";
    }
    return this.#from;
  }

  /** Connects to the next backend the strategy picks; with none left, closes the client. */
  connectNext(): void {
    const { ctx } = this.#host;
    while (this.#attempts <= ctx.settings.retries && this.#state === CONNECTING) {
      const backend = ctx.strategy.pick(candidates(ctx, this.#tried), this.#clientHost);
      if (!backend) break;
      if (this.#attempts++ > 0) (this.#tried ??= [this.#backend!]).push(backend);
      this.#backend = backend;
      backend.active++;
      this.#upstream ??= new Upstream(this);
      const fd = connectSocket(this.#loop, this.#host.addrOf(backend), this.#upstream);
      if (fd >= 0) {
        this.#bfd = fd;
        this.#loop.setDeadline(this, this.#loop.now + ctx.settings.connectTimeoutMs);
        // the request is usually there already, and on loopback the connect is done by now:
        // send it at once (kept for the next backend should this connect fail)
        if (this.#toBackend === undefined) this.#pumpUp();
        return;
      }
      backend.active--;
      if (-fd === C.EMFILE || -fd === C.ENFILE) {
        // our shortage, not the backend's: held against no backend, and said once a second
        this.#host.outOfDescriptors(-fd);
        ctx.counters.unserved++;
        return this.#close(false);
      }
      this.#connectFailed(describeConnectError(errnoError(-fd, "connect")));
    }
    if (this.#state !== CONNECTING) return;
    noBackend(ctx, this.#client(), this.#lastError);
    this.#close(false);
  }

  #connectFailed(message: string): void {
    const backend = this.#backend!;
    this.#lastError = `${backend.address}: ${message}`;
    connectFailed(this.#host.ctx, backend, this.#client(), message);
  }

  /** The connect in progress failed: drop its socket and try the next backend. */
  #retry(message: string): void {
    this.#loop.clearDeadline(this);
    this.#loop.close(this.#bfd);
    this.#bfd = -1;
    this.#backend!.active--;
    this.#connectFailed(message);
    this.connectNext();
  }

  #connected(): void {
    const { ctx, logging, loop } = this.#host;
    this.#state = OPEN;
    const backend = this.#backend!;
    backend.total++;
    loop.setOption(this.#bfd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    if (logging) logForwarded(ctx.log, this.#client(), backend);
    this.#lastActive = loop.now;
    this.#arm();
    // what was read while connecting goes first, then whatever came since
    if (this.#toBackend !== undefined) this.#flushToBackend();
    else if (this.#clientEof) this.#finUp();
    else this.#pumpUp();
  }

  /** Sets the deadline of the quiet limit in force now (idle, or fin once half-closed). */
  #arm(): void {
    const ms = this.#limit();
    if (ms > 0) this.#loop.setDeadline(this, this.#lastActive + ms);
    else this.#loop.clearDeadline(this);
  }

  #halfClosed(): boolean {
    return this.#upShut || this.#downShut;
  }

  /** The quiet time that ends the connection now (0: none). */
  #limit(): number {
    const { idleTimeoutMs: idle, finTimeoutMs: fin } = this.#host.ctx.settings;
    return this.#halfClosed() && fin > 0 && (idle === 0 || fin < idle) ? fin : idle;
  }

  onDeadline(now: number): void {
    if (this.#state === CONNECTING) {
      this.#retry(`connect timed out after ${this.#host.ctx.settings.connectTimeoutMs} ms`);
      return;
    }
    if (this.#state !== OPEN) return;
    const ms = this.#limit();
    if (ms === 0) return;
    if (now - this.#lastActive >= ms) {
      const { idleTimeoutMs: idle } = this.#host.ctx.settings;
      return this.#end(this.#halfClosed() && ms !== idle ? "fin timeout" : "idle timeout", 0);
    }
    this.#loop.setDeadline(this, this.#lastActive + ms);
  }

  // client socket events

  onReadable(rdhup: boolean): void {
    if (rdhup) this.#clientRdhup = true;
    this.#clientReady = true;
    this.#pumpUp();
  }

  onWritable(): void {
    if (this.#toClient !== undefined) this.#flushToClient();
  }

  onHangup(): void {
    this.#clientRdhup = true;
    this.#clientReady = true;
    if (this.#state !== OPEN) return; // read once connected
    if (this.#toClient !== undefined) this.#flushToClient();
    this.#pumpUp();
    if (this.#state !== OPEN) return;
    const errno = this.#loop.socketError(this.#cfd);
    if (errno !== 0) this.#clientError(errno);
  }

  // backend socket events

  backendReadable(rdhup: boolean): void {
    if (rdhup) this.#backendRdhup = true;
    this.#backendReady = true;
    this.#pumpDown();
  }

  backendWritable(): void {
    if (this.#state === CONNECTING) return this.#connected();
    if (this.#toBackend !== undefined) this.#flushToBackend();
  }

  backendHangup(): void {
    if (this.#state === CONNECTING) {
      const errno = this.#loop.socketError(this.#bfd) || C.ECONNREFUSED;
      return this.#retry(describeConnectError(errnoError(errno, "connect")));
    }
    this.#backendRdhup = true;
    this.#backendReady = true;
    if (this.#toBackend !== undefined) this.#flushToBackend();
    this.#pumpDown();
    if (this.#state !== OPEN) return;
    const errno = this.#loop.socketError(this.#bfd);
    if (errno !== 0) this.#end("backend error", errno);
  }

  // forwarding

  /**
   * Client to backend, until the client is drained, the backend full, or the end. While the
   * backend is still connecting, what cannot be sent yet waits in the pending buffer.
   */
  #pumpUp(): void {
    if (
      this.#state === CLOSED || this.#toBackend !== undefined || this.#clientEof ||
      !this.#clientReady
    ) return;
    const { loop, buf } = this.#host;
    const cap = buf.length;
    const bytes = this.#backend!.bytes;
    while (true) {
      const n = loop.recv(this.#cfd, buf, cap);
      if (n > 0) {
        this.#lastActive = loop.now;
        const w = loop.send(this.#bfd, buf, n);
        if (w === n) {
          this.#up += n;
          bytes.up += n;
          // a short read without the peer's FIN means the socket is drained
          if (n < cap && !this.#clientRdhup) {
            this.#clientReady = false;
            return;
          }
          continue;
        }
        const sent = w < 0 ? 0 : w;
        this.#up += sent;
        bytes.up += sent;
        this.#toBackend = buf.slice(sent, n);
        if (w >= 0 || w === -C.EAGAIN) return;
        // a connect that failed shows here first: the bytes wait for the next backend
        if (this.#state === CONNECTING) {
          return this.#retry(describeConnectError(errnoError(-w, "connect")));
        }
        return this.#end("backend error", -w);
      }
      if (n === 0) {
        this.#clientEof = true;
        if (this.#state === OPEN) this.#finUp(); // else once connected
        return;
      }
      if (n === -C.EAGAIN) {
        this.#clientReady = false;
        return;
      }
      if (n === -C.EINTR) continue;
      if (this.#state === OPEN) return this.#clientError(-n);
      return this.#close(true); // the client failed before its backend answered: nothing to log
    }
  }

  /** Backend to client, the same way. */
  #pumpDown(): void {
    if (
      this.#state !== OPEN || this.#toClient !== undefined || this.#backendEof ||
      !this.#backendReady
    ) return;
    const { loop, buf } = this.#host;
    const cap = buf.length;
    const bytes = this.#backend!.bytes;
    while (true) {
      const n = loop.recv(this.#bfd, buf, cap);
      if (n > 0) {
        this.#lastActive = loop.now;
        const w = loop.send(this.#cfd, buf, n);
        if (w === n) {
          this.#down += n;
          bytes.down += n;
          if (n < cap && !this.#backendRdhup) {
            this.#backendReady = false;
            return;
          }
          continue;
        }
        if (w < 0 && w !== -C.EAGAIN) return this.#clientError(-w);
        const sent = w < 0 ? 0 : w;
        this.#down += sent;
        bytes.down += sent;
        this.#toClient = buf.slice(sent, n);
        return;
      }
      if (n === 0) {
        this.#backendEof = true;
        return this.#finDown();
      }
      if (n === -C.EAGAIN) {
        this.#backendReady = false;
        return;
      }
      if (n !== -C.EINTR) return this.#end("backend error", -n);
    }
  }

  #flushToBackend(): void {
    const pending = this.#toBackend!;
    const w = this.#loop.send(this.#bfd, pending, pending.length);
    if (w === -C.EAGAIN) return;
    if (w < 0) return this.#end("backend error", -w);
    this.#lastActive = this.#loop.now; // a slow but steady reader is not idle
    this.#up += w;
    this.#backend!.bytes.up += w;
    if (w < pending.length) {
      this.#toBackend = pending.subarray(w);
      return;
    }
    this.#toBackend = undefined;
    if (this.#clientEof) this.#finUp();
    else this.#pumpUp();
  }

  #flushToClient(): void {
    const pending = this.#toClient!;
    const w = this.#loop.send(this.#cfd, pending, pending.length);
    if (w === -C.EAGAIN) return;
    if (w < 0) return this.#clientError(-w);
    this.#lastActive = this.#loop.now;
    this.#down += w;
    this.#backend!.bytes.down += w;
    if (w < pending.length) {
      this.#toClient = pending.subarray(w);
      return;
    }
    this.#toClient = undefined;
    if (this.#backendEof) this.#finDown();
    else this.#pumpDown();
  }

  /** The client's FIN, once everything before it reached the backend: pass it on. */
  #finUp(): void {
    if (this.#toBackend !== undefined || this.#upShut) return;
    this.#firstFin ??= "client closed";
    this.#upShut = true;
    if (this.#downShut) return this.#end(this.#firstFin, 0);
    // ENOTCONN: the backend is gone already, nothing more can flow either way
    if (this.#loop.shutdownWrite(this.#bfd) !== 0) return this.#end(this.#firstFin, 0);
    this.#lastActive = this.#loop.now;
    this.#arm();
  }

  #finDown(): void {
    if (this.#toClient !== undefined || this.#downShut) return;
    this.#firstFin ??= "backend closed";
    this.#downShut = true;
    if (this.#upShut) return this.#end(this.#firstFin, 0);
    if (this.#loop.shutdownWrite(this.#cfd) !== 0) return this.#end(this.#firstFin, 0);
    this.#lastActive = this.#loop.now;
    this.#arm();
  }

  /**
   * An error on the client's socket. After the client's own FIN it is how a client that has
   * read all it wanted goes away (a TLS client after the whole body): "client closed".
   */
  #clientError(errno: number): void {
    if (this.#clientEof && (errno === EPIPE || errno === ECONNRESET)) {
      return this.#end("client closed", 0);
    }
    this.#end("client error", errno);
  }

  /** Ends the conversation: closes both sockets and logs how it ended. */
  #end(reason: EndReason, errno: number): void {
    if (this.#state !== OPEN) return;
    const { ctx, logging, loop } = this.#host;
    if (logging) {
      const error = errno === 0 ? undefined : errnoError(errno, "recv");
      logEnded(
        ctx.log,
        this.#client(),
        this.#backend!,
        reason,
        error,
        this.#up,
        this.#down,
        loop.now - this.#started,
      );
    }
    this.#close(true);
  }

  /** Ends the connection now, connecting or not (a shutdown). */
  kill(): void {
    if (this.#state === OPEN) return this.#end("shutdown", 0);
    if (this.#state === CONNECTING) this.#close(this.#bfd >= 0);
  }

  #close(withBackend: boolean): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    const loop = this.#loop;
    loop.clearDeadline(this);
    loop.close(this.#cfd);
    if (this.#bfd >= 0) loop.close(this.#bfd);
    if (withBackend) this.#backend!.active--;
    this.#toBackend = this.#toClient = undefined;
    this.#host.ended(this);
  }
}
