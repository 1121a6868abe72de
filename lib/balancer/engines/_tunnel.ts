/**
 * One client connection on the epoll engine, as a state machine fed by the event loop:
 * connecting (to one backend after another), then forwarding both ways until both directions
 * have ended, then closed. This file holds the connect phase, the deadlines and the socket
 * events; the forwarding itself, and the state, are `Forwarding` (`_tunnel_forward.ts`), which
 * `Tunnel` extends so that a connection stays one object. No promise, closure or string per
 * operation; strings are made only when a log line will be printed.
 *
 * @module
 */
import { describeConnectError } from "../_connect.ts";
import type { Backend } from "../backend.ts";
import {
  connectSocket,
  errnoError,
  type EventLoop,
  LINUX as C,
  type SockAddr,
  type SocketHandler,
} from "../../loop/mod.ts";
import {
  candidates,
  connectFailed,
  logForwarded,
  noBackend,
  type SessionContext,
} from "./frontend.ts";
import { CONNECTING, Forwarding, OPEN } from "./_tunnel_forward.ts";

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
  ended(tunnel: Forwarding): void;
  /** Out of descriptors on our side: counted and logged at most once a second. */
  outOfDescriptors(errno: number): void;
}

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
export class Tunnel extends Forwarding implements SocketHandler {
  #upstream: Upstream | undefined;
  /** Backends tried, kept only once a second attempt is needed. */
  #tried: Backend[] | undefined;
  #attempts = 0;
  #lastError = "no backend is up";
  #clientHost: string;

  /**
   * @param fd the accepted client socket (the caller registers it with this tunnel)
   * @param clientHost the client's address when the strategy hashes it, else ""
   * @param from the client as logs print it, when known already
   */
  constructor(host: TunnelHost, fd: number, clientHost: string, from: string | undefined) {
    super(host, fd, from);
    this.#clientHost = clientHost;
  }

  /** Connects to the next backend the strategy picks; with none left, closes the client. */
  connectNext(): void {
    const { ctx } = this.host;
    while (this.#attempts <= ctx.settings.retries && this.state === CONNECTING) {
      const backend = ctx.strategy.pick(candidates(ctx, this.#tried), this.#clientHost);
      if (!backend) break;
      if (this.#attempts++ > 0) (this.#tried ??= [this.backend!]).push(backend);
      this.backend = backend;
      backend.active++;
      this.#upstream ??= new Upstream(this);
      const fd = connectSocket(this.loop, this.host.addrOf(backend), this.#upstream);
      if (fd >= 0) {
        this.bfd = fd;
        this.loop.setDeadline(this, this.loop.now + ctx.settings.connectTimeoutMs);
        // the request is usually there already, and on loopback the connect is done by now:
        // send it at once (kept for the next backend should this connect fail)
        if (this.toBackend === undefined) this.pumpUp();
        return;
      }
      backend.active--;
      if (-fd === C.EMFILE || -fd === C.ENFILE) {
        // our shortage, not the backend's: held against no backend, and said once a second
        this.host.outOfDescriptors(-fd);
        ctx.counters.unserved++;
        return this.close(false);
      }
      this.#connectFailed(describeConnectError(errnoError(-fd, "connect")));
    }
    if (this.state !== CONNECTING) return;
    noBackend(ctx, this.client(), this.#lastError);
    this.close(false);
  }

  #connectFailed(message: string): void {
    const backend = this.backend!;
    this.#lastError = `${backend.address}: ${message}`;
    connectFailed(this.host.ctx, backend, this.client(), message);
  }

  /** The connect in progress failed: drop its socket and try the next backend. */
  protected override retry(message: string): void {
    this.loop.clearDeadline(this);
    this.loop.close(this.bfd);
    this.bfd = -1;
    this.backend!.active--;
    this.#connectFailed(message);
    this.connectNext();
  }

  #connected(): void {
    const { ctx, logging, loop } = this.host;
    this.state = OPEN;
    const backend = this.backend!;
    backend.total++;
    loop.setOption(this.bfd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    if (logging) logForwarded(ctx.log, this.client(), backend);
    this.lastActive = loop.now;
    this.arm();
    // what was read while connecting goes first, then whatever came since
    if (this.toBackend !== undefined) this.flushToBackend();
    else if (this.clientEof) this.finUp();
    else this.pumpUp();
  }

  /** Sets the deadline of the quiet limit in force now (idle, or fin once half-closed). */
  protected override arm(): void {
    const ms = this.#limit();
    if (ms > 0) this.loop.setDeadline(this, this.lastActive + ms);
    else this.loop.clearDeadline(this);
  }

  #halfClosed(): boolean {
    return this.upShut || this.downShut;
  }

  /** The quiet time that ends the connection now (0: none). */
  #limit(): number {
    const { idleTimeoutMs: idle, finTimeoutMs: fin } = this.host.ctx.settings;
    return this.#halfClosed() && fin > 0 && (idle === 0 || fin < idle) ? fin : idle;
  }

  override onDeadline(now: number): void {
    if (this.state === CONNECTING) {
      this.retry(`connect timed out after ${this.host.ctx.settings.connectTimeoutMs} ms`);
      return;
    }
    if (this.state !== OPEN) return;
    const ms = this.#limit();
    if (ms === 0) return;
    if (now - this.lastActive >= ms) {
      const { idleTimeoutMs: idle } = this.host.ctx.settings;
      return this.end(this.#halfClosed() && ms !== idle ? "fin timeout" : "idle timeout", 0);
    }
    this.loop.setDeadline(this, this.lastActive + ms);
  }

  // client socket events

  onReadable(rdhup: boolean): void {
    if (rdhup) this.clientRdhup = true;
    this.clientReady = true;
    this.pumpUp();
  }

  onWritable(): void {
    if (this.toClient !== undefined) this.flushToClient();
  }

  onHangup(): void {
    this.clientRdhup = true;
    this.clientReady = true;
    if (this.state !== OPEN) return; // read once connected
    if (this.toClient !== undefined) this.flushToClient();
    this.pumpUp();
    if (this.state !== OPEN) return;
    const errno = this.loop.socketError(this.cfd);
    if (errno !== 0) this.clientError(errno);
  }

  // backend socket events

  backendReadable(rdhup: boolean): void {
    if (rdhup) this.backendRdhup = true;
    this.backendReady = true;
    this.pumpDown();
  }

  backendWritable(): void {
    if (this.state === CONNECTING) return this.#connected();
    if (this.toBackend !== undefined) this.flushToBackend();
  }

  backendHangup(): void {
    if (this.state === CONNECTING) {
      const errno = this.loop.socketError(this.bfd) || C.ECONNREFUSED;
      return this.retry(describeConnectError(errnoError(errno, "connect")));
    }
    this.backendRdhup = true;
    this.backendReady = true;
    if (this.toBackend !== undefined) this.flushToBackend();
    this.pumpDown();
    if (this.state !== OPEN) return;
    const errno = this.loop.socketError(this.bfd);
    if (errno !== 0) this.end("backend error", errno);
  }

  /** Ends the connection now, connecting or not (a shutdown). */
  kill(): void {
    if (this.state === OPEN) return this.end("shutdown", 0);
    if (this.state === CONNECTING) this.close(this.bfd >= 0);
  }
}
