/**
 * Keep-alive connections to one backend, reused from request to request: at most `max` open
 * (connecting, idle or busy), idle ones kept most recently used first and closed after a quiet
 * time or when the backend closes them (never a client's error), and a bounded queue of
 * requests waiting for one. Each connection is a {@link BackendConn} (`_backend_conn.ts`).
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { RequestMetrics } from "./metrics.ts";
import { type EventLoop, Handle, LINUX as C, type SockAddr } from "../../loop/mod.ts";
import { EPROTO, TlsWire } from "../../tls/wire.ts";
import { BackendConn, type ConnPool, type ConnUser, type PoolHost, Up } from "./_backend_conn.ts";

/** What {@link BackendPool.acquire} came to when it gave no connection. */
export const QUEUED = 0;
/** {@link BackendPool.acquire}: every connection busy and the queue full. */
export const FULL = 1;

/** The connections to one backend. */
export class BackendPool implements ConnPool {
  readonly backend: Backend;
  readonly addr: SockAddr;
  readonly loop: EventLoop;
  readonly host: PoolHost;
  readonly #max: number;
  readonly #queueMax: number;
  /** Connections open (any state but Closed). */
  open = 0;
  /** 5xx answers and broken responses in a row (HAProxy's `observe layer7`). */
  errors = 0;
  /** The backend's request counters. */
  readonly metrics: RequestMetrics = new RequestMetrics();
  readonly idle: BackendConn[] = [];
  readonly waiting: ConnUser[] = [];
  readonly #all = new Set<BackendConn>();
  /** Out of the set (`--backends-file`): a connection done with its exchange closes. */
  retired = false;

  constructor(backend: Backend, addr: SockAddr, host: PoolHost, max: number, queueMax: number) {
    this.backend = backend;
    this.addr = addr;
    this.loop = host.loop;
    this.host = host;
    this.#max = max;
    this.#queueMax = queueMax;
  }

  /**
   * A connection for `user`: an idle one (Busy, ready now: the caller sends), a new one
   * (Connecting: `upReady` follows), or {@link QUEUED}, {@link FULL}, or a connect's errno
   * negated.
   */
  acquire(user: ConnUser): BackendConn | number {
    const conn = this.#takeIdle(user.proxyHeader);
    if (conn !== undefined) {
      // its idle deadline stays set: the caller moves it to the server timeout at once (one
      // store, where a clear and a set would shuffle the loop's deadline array)
      conn.state = Up.Busy;
      conn.user = user;
      return conn;
    }
    // another client's idle connection is no use to this one: it makes room
    if (this.open >= this.#max && this.idle.length > 0) this.close(this.idle[0]!);
    if (this.open < this.#max) return this.#connect(user);
    if (this.waiting.length >= this.#queueMax) return FULL;
    this.waiting.push(user);
    return QUEUED;
  }

  /** The most recently used idle connection `header`'s client may use. */
  #takeIdle(header: Uint8Array | null): BackendConn | undefined {
    const idle = this.idle;
    if (header === null) return idle.pop();
    for (let i = idle.length - 1; i >= 0; i--) {
      if (idle[i]!.header === header) return idle.splice(i, 1)[0];
    }
    return undefined;
  }

  /** `user` gives up waiting. */
  leave(user: ConnUser): void {
    const i = this.waiting.indexOf(user);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  #connect(user: ConnUser | null): BackendConn | number {
    const conn = new BackendConn(this);
    conn.user = user;
    conn.header = user?.proxyHeader ?? null;
    const handle = Handle.connect(this.loop, this.addr, conn, conn);
    if (typeof handle === "number") return handle;
    conn.handle = handle;
    this.open++;
    this.#all.add(conn);
    conn.deadlineIn(this.host.connectTimeoutMs);
    return conn;
  }

  /**
   * The connect succeeded (with `--backend-tls`, called on each event until the handshake is
   * done, within the connect timeout).
   */
  connected(conn: BackendConn): void {
    const tls = this.host.backendTls;
    if (conn.tls === null) {
      this.loop.setOption(conn.fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
      const header = conn.header;
      // a new socket's send buffer takes a header of at most 232 bytes whole, or the peer is gone
      if (header !== null) {
        const w = this.loop.send(conn.fd, header, header.length);
        if (w !== header.length) return this.connectFailed(conn, w < 0 ? -w : C.ECONNREFUSED);
      }
      if (tls !== null) {
        const stream = tls.connect(conn.fd, this.backend.host);
        if (stream === null) return this.connectFailed(conn, C.ENOMEM);
        conn.wire = conn.tls = new TlsWire(this.loop, conn, stream, conn);
      }
    }
    if (conn.tls !== null && !conn.tls.stream.established) {
      const r = conn.tls.stream.handshake();
      if (r === 0) return;
      if (r !== 1) return this.connectFailed(conn, EPROTO);
    }
    conn.handle!.clearDeadline();
    const user = conn.user;
    if (user === null) return this.release(conn);
    conn.state = Up.Busy;
    user.upReady(conn);
  }

  /** The connect failed: the stream that wanted it hears why (errno, or 0 for a timeout). */
  connectFailed(conn: BackendConn, errno: number): void {
    const user = conn.user;
    this.close(conn);
    user?.upFailed(conn, errno);
  }

  /** A connection done with a response it may carry another after: to a waiter, or idle. */
  release(conn: BackendConn): void {
    // the backend said it closes: the next request would find it gone
    if (conn.rdhup || (this.retired && this.waiting.length === 0)) return this.close(conn);
    conn.user = null;
    conn.carry = null;
    conn.served++;
    if (
      conn.header !== null && this.waiting.length > 0 &&
      this.waiting[0]!.proxyHeader !== conn.header
    ) {
      return this.close(conn); // the waiter gets a connection of its own
    }
    const next = this.waiting.shift();
    if (next !== undefined) {
      conn.state = Up.Busy;
      conn.user = next;
      next.upReady(conn);
      return;
    }
    conn.state = Up.Idle;
    this.idle.push(conn);
    conn.deadlineIn(this.host.poolIdleMs);
    // bytes or a FIN that came with the response's end
    if (conn.readable) this.checkIdle(conn);
  }

  /** An idle connection became readable: the backend closed it (or spoke out of turn). */
  checkIdle(conn: BackendConn): void {
    const probe = new Uint8Array(1);
    // through TLS, a record that is no data (a TLS 1.3 ticket) reads as nothing yet
    const n = conn.wire.recv(probe, 1);
    if (n === -C.EAGAIN) {
      conn.readable = false;
      return;
    }
    this.close(conn);
  }

  /** Closes a connection in any state; a waiter may then get a new one. */
  close(conn: BackendConn): void {
    if (conn.state === Up.Closed) return;
    if (conn.state === Up.Idle) {
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
    }
    conn.state = Up.Closed;
    conn.user = null;
    conn.out = conn.carry = null;
    if (conn.tls !== null) this.host.backendTls?.keepSession(conn.tls.stream);
    conn.wire.release();
    conn.handle?.close();
    this.#all.delete(conn);
    this.open--;
    this.#serveWaiter();
  }

  /** A slot is free: the first waiter gets a new connection. */
  #serveWaiter(): void {
    while (this.waiting.length > 0 && this.open < this.#max) {
      const user = this.waiting.shift()!;
      const conn = this.#connect(user);
      if (typeof conn !== "number") return;
      user.upFailed(new BackendConn(this), -conn);
    }
  }

  /** Taken out of the set: idle connections close now, busy ones after their exchange. */
  retire(): void {
    this.retired = true;
    for (const conn of [...this.idle]) this.close(conn);
  }

  /** Closes every connection (the balancer has stopped). */
  closeAll(): void {
    this.waiting.length = 0;
    for (const conn of [...this.#all]) this.close(conn);
  }
}
