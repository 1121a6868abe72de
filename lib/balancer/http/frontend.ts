/**
 * The http mode's engine (`netlab balance --mode http`): listens on netlab's event loop, reads
 * each request with the strict parser of `lib/http1/`, and sends every request to the backend
 * the strategy picks for it, over keep-alive connections pooled per backend (`_pool.ts`).
 * Each client connection is one `HttpStream` (`_stream.ts`).
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import {
  decodeSockAddr,
  encodeSockAddr,
  errnoError,
  type EventLoop,
  type ListenerHandlers,
  localAddr,
  type TcpListener,
} from "../../loop/mod.ts";
import { encodeProxyHeader } from "../proxy_protocol.ts";
import type { GateHost } from "../engines/_proxy_gate.ts";
import { OpenClients } from "../engines/_clients.ts";
import { listenOnLoop } from "../engines/_loop_listen.ts";
import { type Gate, TlsGate, type TlsGateHost } from "../engines/_tls_gate.ts";
import type { TlsWire } from "../../tls/wire.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import { RequestParser } from "../../http1/_parser.ts";
import { OverloadLog } from "../engines/_overload.ts";
import { serveLoopStats } from "../engines/_loop_stats.ts";
import type { Frontend, SessionContext, StatsEndpoint } from "../engines/frontend.ts";
import { Fields } from "./_fields.ts";
import { ResponseHead } from "./_response_head.ts";
import { ClientLines, HeadWriter } from "./_rewrite.ts";
import { BackendPool } from "./_pool.ts";
import { type ClientSide, type HttpSettings, St, type StreamHost } from "./_client.ts";
import { HttpStream } from "./_stream.ts";
import type { RequestMetrics } from "./metrics.ts";

/** The http mode's own settings (the rest are the balancer's). */
export interface HttpModeSettings extends HttpSettings {
  /** Connections open to each backend at most. */
  backendConns: number;
  /** Requests that may wait for a connection to one backend; more get 503. */
  backendQueue: number;
}

/** Client addresses whose forwarding lines are kept for their next connections. */
const MAX_CLIENT_LINES = 4096;

/** How long an idle pooled connection is kept (backends often close theirs after 5 s). */
const POOL_IDLE_MS = 4000;

/** The http-mode engine listening on host:port. */
export class HttpFrontend implements Frontend, StreamHost, ListenerHandlers, GateHost, TlsGateHost {
  readonly name = "epoll" as const;
  readonly addr: Deno.NetAddr;
  readonly loop: EventLoop;
  readonly ctx: SessionContext;
  readonly log: Logger;
  readonly buf: Uint8Array;
  readonly parser: RequestParser = new RequestParser();
  readonly reqFields: Fields = new Fields();
  readonly res: ResponseHead = new ResponseHead();
  readonly writer: HeadWriter = new HeadWriter();
  readonly logging: boolean;
  readonly http: HttpModeSettings;
  readonly connectTimeoutMs: number;
  readonly poolIdleMs: number;
  readonly backendTls: TlsClientContext | null;
  draining = false;
  #listener: TcpListener | undefined;
  #pools = new Map<Backend, BackendPool>();
  readonly #clients: OpenClients<ClientSide>;
  /** Pools of backends taken out of the set that still had connections (closed at close()). */
  #retired = new Set<BackendPool>();
  #lines = new Map<string, ClientLines>();
  /** Streams to continue once the event in progress is handled: `#kicks[0..#kicked)`. */
  #kicks: ClientSide[] = [];
  #kicked = 0;
  #settling = false;
  #overload: OverloadLog;

  /**
   * Opens the event loop and listens.
   *
   * @throws when epoll cannot run here, or what `Deno.listen` throws for the same errno
   */
  constructor(ctx: SessionContext, host: string, port: number, http: HttpModeSettings) {
    this.ctx = ctx;
    this.log = ctx.log;
    this.http = http;
    this.buf = new Uint8Array(ctx.settings.bufferSize);
    this.logging = ctx.log.isEnabledFor("info");
    this.#clients = new OpenClients(ctx);
    this.connectTimeoutMs = ctx.settings.connectTimeoutMs;
    this.backendTls = ctx.backendTls;
    this.poolIdleMs = Math.min(POOL_IDLE_MS, http.idleTimeoutMs || POOL_IDLE_MS);
    this.#overload = new OverloadLog(ctx.log);
    const { loop, listener } = listenOnLoop(ctx.log, host, port, this);
    this.loop = loop;
    this.#listener = listener;
    this.addr = listener.addr;
    for (const b of ctx.backends) this.pool(b);
  }

  get active(): number {
    return this.#clients.size;
  }

  pool(backend: Backend): BackendPool {
    let pool = this.#pools.get(backend);
    if (pool === undefined) {
      const { backendConns, backendQueue } = this.http;
      const addr = encodeSockAddr(backend.host, backend.port);
      pool = new BackendPool(backend, addr, this, backendConns, backendQueue);
      this.#pools.set(backend, pool);
    }
    return pool;
  }

  metrics(backend: Backend): RequestMetrics {
    return this.pool(backend).metrics;
  }

  retire(removed: readonly Backend[]): void {
    for (const b of removed) {
      const pool = this.#pools.get(b);
      this.#pools.delete(b);
      pool?.retire(); // busy connections close after their exchange
      if (pool !== undefined && pool.open > 0) this.#retired.add(pool);
    }
    for (const pool of this.#retired) if (pool.open === 0) this.#retired.delete(pool);
  }

  /** Every backend's request counters, in configured order. */
  requestMetrics(): [Backend, RequestMetrics][] {
    return this.ctx.backends.map((b) => [b, this.pool(b).metrics]);
  }

  onAccept(fd: number, peer: Uint8Array): void {
    if (!this.#clients.admit()) return this.loop.close(fd);
    if (this.ctx.settings.acceptProxy) {
      return this.#clients.gate(this, fd, decodeSockAddr(peer), this.http.requestTimeoutMs);
    }
    this.admit(fd, decodeSockAddr(peer));
  }

  /**
   * Takes a client connection from `addr` (its PROXY header's source, with --accept-proxy);
   * with `--cert`, once its TLS handshake is done (`tls`).
   */
  admit(fd: number, addr: Deno.NetAddr, local?: Deno.NetAddr, tls?: TlsWire): void {
    if (this.ctx.tls !== null && tls === undefined) {
      const timeout = this.http.requestTimeoutMs;
      const gate = new TlsGate(this, this.ctx.tls, fd, addr, local, timeout);
      this.#clients.hold(gate);
      return;
    }
    const ip = addr.hostname;
    let names = this.#lines.get(ip);
    if (names === undefined) {
      // one client's connections share their forwarding lines; the cache is bounded
      if (this.#lines.size >= MAX_CLIENT_LINES) this.#lines.clear();
      this.#lines.set(ip, names = new ClientLines(ip, this.ctx.tls !== null ? "https" : "http"));
    }
    const stream = new HttpStream(this, fd, names, formatAddress(ip, addr.port), ip);
    const version = this.ctx.settings.sendProxy;
    if (version !== "") {
      stream.proxyHeader = encodeProxyHeader(version, addr, local ?? localAddr(this.loop, fd));
    }
    if (tls !== undefined) {
      tls.attach(stream, stream);
      stream.wire = tls;
    }
    // a TLS socket is registered already, its events going to the wire
    const errno = tls !== undefined ? 0 : stream.handle.watch(stream);
    if (errno !== 0) {
      tls?.release();
      stream.handle.close();
      this.#overload.note(`cannot take a client: ${errnoError(errno, "epoll_ctl").message}`);
      return;
    }
    this.#clients.conns.add(stream);
    stream.deadlineIn(this.http.requestTimeoutMs);
  }

  gateDone(gate: Gate): void {
    this.#clients.gateDone(gate);
  }

  onOverload(errno: number, count: number): void {
    this.#overload.note(`accept failed: ${errnoError(errno, "accept4").message}; pausing`, count);
  }

  kick(stream: ClientSide): void {
    // slots are reused, not the array emptied: setting an array's length is a runtime call
    this.#kicks[this.#kicked++] = stream;
  }

  settle(): void {
    if (this.#settling || this.#kicked === 0) return;
    this.#settling = true;
    const kicks = this.#kicks;
    try {
      // a stream may kick itself again (its next pipelined request): each turn makes progress
      for (let i = 0; i < this.#kicked; i++) kicks[i]!.resume();
    } finally {
      // the slots keep their last streams until overwritten, unless the list grew unusually long
      if (this.#kicked > 64) kicks.length = 0;
      this.#kicked = 0;
      this.#settling = false;
    }
  }

  ended(stream: ClientSide): void {
    this.#clients.ended(stream);
  }

  serveStats(host: string, port: number, respond: (head: string) => Uint8Array): StatsEndpoint {
    return serveLoopStats(this.loop, this.ctx.log, host, port, respond);
  }

  stopAccepting(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    this.draining = true;
    this.#clients.closeGates();
    // a keep-alive client between requests has nothing to finish
    for (const s of [...this.#clients.conns]) {
      if (s.state === St.Head && s.carryLen === 0 && s.out === null) s.closeClient();
    }
    return Promise.resolve();
  }

  idle(): Promise<void> {
    return this.#clients.idle();
  }

  closeAll(): void {
    for (const s of [...this.#clients.conns]) (s as HttpStream).abort("shutdown");
    this.#clients.closeGates();
  }

  async close(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    this.closeAll();
    for (const pool of this.#pools.values()) pool.closeAll();
    for (const pool of this.#retired) pool.closeAll();
    this.#overload.close();
    await this.loop.stop();
  }
}
