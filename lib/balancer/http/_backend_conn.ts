/**
 * One keep-alive connection to a backend, as a socket with one state ({@link Up}): connecting,
 * idle in its pool, busy with one request of one client stream (to which it hands its events,
 * and which decides), a tunnel, closed. Its pool (`_pool.ts`) opens, lends and closes it.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import type { RequestMetrics } from "./metrics.ts";
import {
  type DeadlineOwner,
  type EventLoop,
  FdWire,
  type Handle,
  LINUX as C,
  type SocketHandler,
  type Wire,
} from "../../loop/mod.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import type { TlsWire } from "../../tls/wire.ts";

/** A backend connection's one state. */
export const Up = {
  /** connect() in progress. */
  Connecting: 0,
  /** In the pool, waiting for a request. */
  Idle: 1,
  /** Serving one request of one client stream. */
  Busy: 2,
  /** Carrying an upgraded connection's bytes both ways. */
  Tunnel: 3,
  /** Closed. */
  Closed: 4,
} as const;
/** One of {@link Up}'s values. */
export type Up = typeof Up[keyof typeof Up];

/** What a backend connection tells the client stream it serves. */
export interface ConnUser {
  /**
   * `--send-proxy`: the PROXY header for this client; a connection opened with it serves this
   * client only (null: pooled for everyone).
   */
  readonly proxyHeader: Uint8Array | null;
  /** Connected, or taken from the pool or handed over by another stream: send the request. */
  upReady(conn: BackendConn): void;
  /** A connect failed (`errno`) or timed out (0). */
  upFailed(conn: BackendConn, errno: number): void;
  upReadable(conn: BackendConn): void;
  upWritable(conn: BackendConn): void;
  /** EPOLLERR/EPOLLHUP on a connected socket. */
  upHangup(conn: BackendConn): void;
  /** The server timeout passed. */
  upTimeout(conn: BackendConn): void;
}

/** What a pool needs from its balancer. */
export interface PoolHost {
  readonly loop: EventLoop;
  readonly connectTimeoutMs: number;
  /** How long an idle pooled connection is kept. */
  readonly poolIdleMs: number;
  /** Runs what the event just handled deferred (every socket event ends with it). */
  settle(): void;
  /** `--backend-tls`: the client TLS backend connections speak (null: plain). */
  readonly backendTls: TlsClientContext | null;
}

/** What a connection needs from its pool (`BackendPool`). */
export interface ConnPool {
  readonly backend: Backend;
  readonly loop: EventLoop;
  readonly host: PoolHost;
  /** The backend's request counters. */
  readonly metrics: RequestMetrics;
  /** 5xx answers and broken responses in a row (HAProxy's `observe layer7`). */
  errors: number;
  /** The connect succeeded (or, with `--backend-tls`, went on with its handshake). */
  connected(conn: BackendConn): void;
  /** The connect failed (`errno`) or timed out (0). */
  connectFailed(conn: BackendConn, errno: number): void;
  /** An idle connection became readable. */
  checkIdle(conn: BackendConn): void;
  /** Done with a response: to a waiter, or idle. */
  release(conn: BackendConn): void;
  /** Closes it in any state. */
  close(conn: BackendConn): void;
}

/** One connection to a backend. */
export class BackendConn implements SocketHandler, DeadlineOwner {
  state: Up = Up.Connecting;
  /** Its socket, deadline and close, once the connect has started. */
  handle: Handle | null = null;
  /** Its bytes: the socket, or the TLS on it (`--backend-tls`, handshaken while Connecting). */
  wire: Wire;
  /** The TLS on it, when the backends speak TLS. */
  tls: TlsWire | null = null;
  readonly pool: ConnPool;
  /** The stream it serves (Connecting, Busy, Tunnel), or null. */
  user: ConnUser | null = null;
  /** Bytes the kernel has not taken yet. */
  out: Uint8Array | null = null;
  /** Edge-triggered: bytes (or the FIN) may be waiting. */
  readable = false;
  /** The backend's FIN has come (it is read after any bytes before it). */
  rdhup = false;
  /** A response head received in parts. */
  carry: Uint8Array | null = null;
  /** Responses completed on it: a reused connection may have been closed by the backend. */
  served = 0;
  /** The PROXY header it was opened with: it serves only users with this very header. */
  header: Uint8Array | null = null;

  constructor(pool: ConnPool) {
    this.pool = pool;
    this.wire = new FdWire(pool.loop, this);
  }

  /** The descriptor, or -1 (never connected, or closed). */
  get fd(): number {
    return this.handle === null ? -1 : this.handle.fd;
  }

  /** Sets (or moves) the deadline to `ms` from now. */
  deadlineIn(ms: number): void {
    this.handle?.setDeadline(this.pool.loop.now + ms);
  }

  onReadable(rdhup: boolean): void {
    this.readable = true;
    if (rdhup) this.rdhup = true;
    const busy = this.state === Up.Busy || this.state === Up.Tunnel;
    // a TLS write that waited for the socket to be readable goes on now
    if (busy && this.tls?.stream.writeWantsRead) this.user!.upWritable(this);
    if (this.state === Up.Busy || this.state === Up.Tunnel) this.user!.upReadable(this);
    else if (this.state === Up.Idle) this.pool.checkIdle(this);
    else if (this.state === Up.Connecting && this.tls !== null) this.pool.connected(this);
    this.pool.host.settle();
  }

  onWritable(): void {
    if (this.state === Up.Connecting) this.pool.connected(this);
    else if (this.state === Up.Busy || this.state === Up.Tunnel) {
      // a TLS read that waited for the socket to be writable goes on now
      if (this.tls?.stream.readWantsWrite) this.user!.upReadable(this);
      if (this.state === Up.Busy || this.state === Up.Tunnel) this.user!.upWritable(this);
    }
    this.pool.host.settle();
  }

  onHangup(): void {
    if (this.state === Up.Connecting) {
      const errno = this.pool.loop.socketError(this.fd) || C.ECONNREFUSED;
      this.pool.connectFailed(this, errno);
    } else if (this.state === Up.Busy || this.state === Up.Tunnel) this.user!.upHangup(this);
    else this.pool.close(this);
    this.pool.host.settle();
  }

  onDeadline(): void {
    if (this.state === Up.Connecting) this.pool.connectFailed(this, 0);
    else if (this.state === Up.Busy) this.user!.upTimeout(this);
    else if (this.state === Up.Idle) this.pool.close(this);
    this.pool.host.settle();
  }
}
