/**
 * The life of one client connection on the epoll engine, forwarding aside (`Tunnel`,
 * `_tunnel.ts`, adds it): its one state (connecting to one backend after another, open,
 * failing, closed), the client's socket and the backend side (`Upstream`), the connect phase,
 * the quiet deadlines, and the end (the log line, both sockets closed). No promise, closure or
 * string per operation; strings are made only when a log line will be printed.
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
import { describeConnectError } from "../_connect.ts";
import { formatAddress } from "../backend_spec.ts";
import { type EndReason, quietLimit } from "../proxy.ts";
import {
  errnoError,
  type EventLoop,
  FdWire,
  Handle,
  isConnectFailure,
  peerAddr,
  type SocketHandler,
  type Wire,
} from "../../loop/mod.ts";
import { TlsWire } from "../../tls/wire.ts";
import type { TunnelHost } from "./_tunnel_host.ts";
import { Upstream, type UpstreamOwner } from "./_upstream.ts";
import { connectSucceeded } from "./_choice.ts";
import { logBackendFailed, logEnded, logForwarded, noBackend } from "./_log.ts";
import { Pipe, type PipeResult } from "./_pipe.ts";

export const CONNECTING = 0;
export const OPEN = 1;
/** The backend failed: forwarding what it sent before, then resetting the client. */
export const FAILING = 2;
export const CLOSED = 3;

/** A client connection and, once connected, its backend connection. */
export abstract class TunnelCore implements SocketHandler, UpstreamOwner {
  protected readonly host: TunnelHost;
  protected readonly loop: EventLoop;
  protected readonly client: Handle;
  /** The client's bytes: its socket, or the TLS on it (`--cert`). */
  protected readonly clientWire: Wire;
  /** The backend side: the backends tried, the connection to the current one. */
  protected readonly upstream: Upstream;
  protected state: number = CONNECTING;
  /** Client to backend. */
  protected readonly up: Pipe = new Pipe(false);
  /** Backend to client. */
  protected readonly down: Pipe = new Pipe(true);
  protected firstFin: EndReason | undefined;
  /** The backend's errno while failing. */
  protected failed = 0;
  /** Connected, or a FIN passed on: quiet time counts from here too. */
  protected markAt: number;
  #clientHost: string;
  /** The client as logs print it, made when first needed. */
  #from: string | undefined;
  #started: number;

  abstract onReadable(rdhup: boolean): void;
  abstract onWritable(): void;
  abstract onHangup(): void;
  abstract backendReadable(rdhup: boolean): void;
  abstract backendWritable(): void;
  abstract backendHangup(): void;
  /** Client to backend, unless waiting. */
  protected abstract pumpUp(): void;
  /** Decides after the up direction moved. */
  protected abstract afterUp(r: PipeResult): void;

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
    this.host = host;
    this.loop = host.loop;
    this.client = new Handle(host.loop, fd, this);
    if (tls !== undefined) tls.attach(this, this.client);
    this.clientWire = tls ?? new FdWire(host.loop, this.client);
    this.#clientHost = clientHost;
    this.#from = from;
    this.upstream = new Upstream(this);
    this.#started = this.markAt = host.loop.now;
    // sent whole on connect, like bytes a failed connect left pending, before any client byte
    this.up.pending = header;
  }

  /** Registers the client socket (a TLS one is already); on failure closes it, returns the errno. */
  watch(): number {
    const wire = this.clientWire;
    if (wire instanceof TlsWire) return 0;
    const errno = this.client.watch(this);
    if (errno !== 0) {
      wire.release();
      this.client.close();
    }
    return errno;
  }

  /** The client as logs print it (made when first needed, while its socket is open). */
  protected name(): string {
    if (this.#from === undefined) {
      const a = peerAddr(this.loop, this.client.fd);
      this.#from = a ? formatAddress(a.hostname, a.port) : "a client";
    }
    return this.#from;
  }

  // the connect phase

  /** Connects to the next backend the strategy picks; with none left, closes the client. */
  connectNext(): void {
    const { ctx, loop } = this.host;
    const upstream = this.upstream;
    while (this.state === CONNECTING) {
      const backend = upstream.attempts.next(ctx, this.#clientHost);
      if (!backend) break;
      const errno = upstream.connect(this.host, backend);
      if (errno === 0) {
        this.up.traffic = this.down.traffic = backend.bytes;
        this.client.setDeadline(loop.now + ctx.settings.connectTimeoutMs);
        // the request is usually there already, and on loopback the connect is done by now:
        // send it at once (what a failed connect left pending went to no backend: sent whole)
        if (this.up.pending !== undefined) this.afterUp(this.up.flush(loop, upstream.wire!));
        if (this.up.pending === undefined) this.pumpUp();
        return;
      }
      if (!isConnectFailure(errno)) {
        // our shortage (descriptors, ports, memory), not the backend's: held against no backend,
        // and said once a second
        this.host.outOfDescriptors(errno);
        ctx.counters.unserved++;
        return this.close(false);
      }
      const message = describeConnectError(errnoError(errno, "connect"));
      upstream.attempts.failed(ctx, this.name(), message);
    }
    if (this.state !== CONNECTING) return;
    noBackend(ctx, this.name(), upstream.attempts.lastError);
    this.close(false);
  }

  /** The connect in progress failed (nothing was sent): drop it and try the next backend. */
  protected retry(message: string): void {
    this.upstream.close(this.host);
    this.upstream.attempts.failed(this.host.ctx, this.name(), message);
    this.connectNext();
  }

  protected connected(): void {
    const { ctx, logging, loop } = this.host;
    this.state = OPEN;
    const backend = this.upstream.attempts.backend!;
    backend.total++;
    connectSucceeded(backend);
    if (logging) logForwarded(ctx.log, this.name(), backend);
    this.markAt = loop.now;
    this.arm();
  }

  // deadlines

  #lastActive(): number {
    return Math.max(this.markAt, this.up.activeAt, this.down.activeAt);
  }

  /** The quiet time that ends the connection now (0: none), and whether it is the fin timeout. */
  #limit(): number {
    const { idleTimeoutMs, finTimeoutMs } = this.host.ctx.settings;
    return quietLimit(idleTimeoutMs, finTimeoutMs, this.up.shut || this.down.shut);
  }

  /** Sets the deadline of the quiet limit in force now (idle, or fin once half-closed). */
  protected arm(): void {
    const ms = this.#limit();
    if (ms > 0) this.client.setDeadline(this.#lastActive() + ms);
    else this.client.clearDeadline();
  }

  /** @internal the client handle's deadline */
  onDeadline(now: number): void {
    if (this.state === CONNECTING) {
      return this.retry(`connect timed out after ${this.host.ctx.settings.connectTimeoutMs} ms`);
    }
    if (this.state === CLOSED) return;
    const ms = this.#limit();
    if (ms === 0) return;
    if (now - this.#lastActive() < ms) return this.arm();
    const fin = ms !== this.host.ctx.settings.idleTimeoutMs;
    this.end(fin ? "fin timeout" : "idle timeout", 0);
  }

  /** Ends the conversation: logs how it ended, closes both sockets (resetting a failed backend's client). */
  protected end(reason: EndReason, errno: number): void {
    if (this.state !== OPEN && this.state !== FAILING) return;
    const { ctx, logging, loop } = this.host;
    const backend = this.upstream.attempts.backend!;
    const error = errno === 0 ? undefined : errnoError(errno, "recv");
    const { sent: up } = this.up, { sent: down } = this.down;
    if (reason === "backend error" && down === 0) {
      logBackendFailed(ctx.log, this.name(), backend, error?.message ?? reason);
    }
    if (logging) {
      logEnded(ctx.log, this.name(), backend, reason, error, up, down, loop.now - this.#started);
    }
    // a failed backend's client is reset however the end comes (a timeout, a shutdown)
    this.close(reason === "backend error" || this.state === FAILING);
  }

  /** Closes both sockets; `reset` sends the client a reset instead of a FIN. */
  protected close(reset: boolean): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.clientWire.release();
    if (reset) this.client.reset();
    else this.client.close();
    if (this.upstream.handle !== undefined) this.upstream.close(this.host);
    this.up.pending = this.down.pending = undefined;
    this.host.ended(this);
  }

  /** Ends the connection now, connecting or not (a shutdown). */
  kill(): void {
    if (this.state === OPEN || this.state === FAILING) return this.end("shutdown", 0);
    if (this.state === CONNECTING) this.close(false);
  }
}
