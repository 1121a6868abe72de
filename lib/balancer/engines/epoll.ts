/**
 * The epoll engine (Linux): the balancer on netlab's event loop (`lib/loop/`), each connection a
 * state machine (`_tunnel.ts`). It exists for speed: no promise, closure or string per operation,
 * one shared read buffer, one coarse timer for every deadline. Hosts must be IP literals (it
 * resolves no names).
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import {
  decodeSockAddr,
  encodeSockAddr,
  errnoError,
  type EventLoop,
  type ListenerHandlers,
  localAddr,
  type SockAddr,
  type TcpListener,
} from "../../loop/mod.ts";
import { encodeProxyHeader } from "../proxy_protocol.ts";
import type { GateHost } from "./_proxy_gate.ts";
import { OpenClients } from "./_clients.ts";
import { listenOnLoop } from "./_loop_listen.ts";
import { type Gate, TlsGate, type TlsGateHost } from "./_tls_gate.ts";
import type { TlsWire } from "../../tls/wire.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import { OverloadLog } from "./_overload.ts";
import { Tunnel } from "./_tunnel.ts";
import type { TunnelHost } from "./_tunnel_host.ts";
import { serveLoopStats } from "./_loop_stats.ts";
import type { Frontend, SessionContext, StatsEndpoint } from "./frontend.ts";

/** The epoll engine listening on host:port. */
export class EpollFrontend
  implements Frontend, TunnelHost, ListenerHandlers, GateHost, TlsGateHost {
  readonly name = "epoll" as const;
  readonly addr: Deno.NetAddr;
  readonly loop: EventLoop;
  readonly ctx: SessionContext;
  readonly buf: Uint8Array;
  readonly logging: boolean;
  readonly log: SessionContext["log"];
  readonly #clients: OpenClients<Tunnel>;
  readonly backendTls: TlsClientContext | null;
  #listener: TcpListener | undefined;
  #addrs = new Map<Backend, SockAddr>();
  #hashesClient: boolean;
  #overload: OverloadLog;
  #connectOverload: OverloadLog;

  /**
   * Opens the event loop and listens.
   *
   * @throws when epoll cannot run here, or what `Deno.listen` throws for the same errno
   */
  constructor(ctx: SessionContext, host: string, port: number) {
    this.ctx = ctx;
    this.log = ctx.log;
    this.buf = new Uint8Array(ctx.settings.bufferSize);
    this.logging = ctx.log.isEnabledFor("info");
    this.#clients = new OpenClients(ctx);
    this.backendTls = ctx.backendTls;
    this.#hashesClient = ctx.strategy.name === "source-hash" || ctx.settings.sendProxy !== "" ||
      ctx.settings.acceptProxy;
    this.#overload = new OverloadLog(ctx.log);
    this.#connectOverload = new OverloadLog(ctx.log);
    for (const b of ctx.backends) this.#addrs.set(b, encodeSockAddr(b.host, b.port));
    const { loop, listener } = listenOnLoop(ctx.log, host, port, this);
    this.loop = loop;
    this.#listener = listener;
    this.addr = listener.addr;
  }

  get active(): number {
    return this.#clients.size;
  }

  addrOf(backend: Backend): SockAddr {
    let addr = this.#addrs.get(backend);
    if (addr === undefined) {
      this.#addrs.set(backend, addr = encodeSockAddr(backend.host, backend.port));
    }
    return addr;
  }

  retire(removed: readonly Backend[]): void {
    for (const b of removed) this.#addrs.delete(b);
  }

  onAccept(fd: number, peer: Uint8Array): void {
    const { settings } = this.ctx;
    if (!this.#clients.admit()) return this.loop.close(fd);
    if (settings.acceptProxy) {
      return this.#clients.gate(this, fd, decodeSockAddr(peer), settings.requestTimeoutMs);
    }
    // strings only when something uses them
    this.admit(fd, this.#hashesClient || this.logging ? decodeSockAddr(peer) : undefined);
  }

  /**
   * Starts forwarding a client connection (`client` when something uses it); with `--cert`,
   * once its TLS handshake is done (`tls`).
   */
  admit(fd: number, client: Deno.NetAddr | undefined, local?: Deno.NetAddr, tls?: TlsWire): void {
    const { settings } = this.ctx;
    if (this.ctx.tls !== null && tls === undefined) {
      const gate = new TlsGate(this, this.ctx.tls, fd, client, local, settings.requestTimeoutMs);
      this.#clients.hold(gate);
      return;
    }
    const header = settings.sendProxy !== "" && client !== undefined
      ? encodeProxyHeader(settings.sendProxy, client, local ?? localAddr(this.loop, fd))
      : undefined;
    const tunnel = new Tunnel(
      this,
      fd,
      this.ctx.strategy.name === "source-hash" ? client!.hostname : "",
      client && this.logging ? formatAddress(client.hostname, client.port) : undefined,
      header,
      tls,
    );
    const errno = tunnel.watch();
    if (errno !== 0) return this.outOfDescriptors(errno);
    this.#clients.conns.add(tunnel);
    tunnel.connectNext();
  }

  gateDone(gate: Gate): void {
    this.#clients.gateDone(gate);
  }

  onOverload(errno: number, count: number): void {
    this.#overload.note(`accept failed: ${errnoError(errno, "accept4").message}; pausing`, count);
  }

  outOfDescriptors(errno: number): void {
    this.#connectOverload.note(
      `cannot connect to a backend: ${errnoError(errno, "socket").message}`,
    );
  }

  ended(tunnel: Tunnel): void {
    this.#clients.ended(tunnel);
  }

  serveStats(host: string, port: number, respond: (head: string) => Uint8Array): StatsEndpoint {
    return serveLoopStats(this.loop, this.ctx.log, host, port, respond);
  }

  stopAccepting(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    this.#clients.closeGates();
    return Promise.resolve();
  }

  idle(): Promise<void> {
    return this.#clients.idle();
  }

  closeAll(): void {
    for (const t of [...this.#clients.conns]) t.kill();
    this.#clients.closeGates();
  }

  async close(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    this.closeAll();
    this.#overload.close();
    this.#connectOverload.close();
    await this.loop.stop();
  }
}
