/**
 * The contracts both balancer engines keep: what a connection shares with the others of its
 * balancer ({@linkcode SessionContext}), and what `Balancer` drives ({@linkcode Frontend}). The
 * `deno` engine does the job with Deno.net and promises, the `epoll` engine with netlab's event
 * loop and a state machine per connection. Types only: the log lines are `_log.ts`, backend
 * choice and passive marking `_choice.ts`.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "../backend.ts";
import type { HealthChecker } from "../health.ts";
import type { BalancerSettings } from "../options.ts";
import type { Strategy } from "../strategies/mod.ts";
import type { EngineName } from "./names.ts";
import type { TlsServerContext } from "../../tls/server.ts";
import type { TlsClientContext } from "../../tls/client.ts";

export type { EngineName } from "./names.ts";

/** Counters a frontend adds to; the balancer reads them for `/stats`. */
export interface Counters {
  /** Connections accepted since start. */
  total: number;
  /** Closed at once because `maxConns` were open. */
  rejected: number;
  /** Closed because no backend could take them. */
  unserved: number;
}

/** What every connection of one balancer shares. */
export interface SessionContext {
  readonly backends: readonly Backend[];
  readonly strategy: Strategy;
  readonly settings: BalancerSettings;
  readonly health: HealthChecker;
  readonly log: Logger;
  readonly counters: Counters;
  /** `--cert`/`--key`: clients speak TLS, terminated here (the epoll engines). */
  readonly tls: TlsServerContext | null;
  /** `--backend-tls`: backends speak TLS (the epoll engines). */
  readonly backendTls: TlsClientContext | null;
}

/** A listening stats port. */
export interface StatsEndpoint {
  /** The bound address (port 0 resolved). */
  readonly addr: Deno.NetAddr;
  /** Stops listening and closes its connections. */
  close(): Promise<void>;
}

/** A listening engine with its open connections. */
export interface Frontend {
  /** `epoll` or `deno`. */
  readonly name: EngineName;
  /** The bound address (port 0 resolved). */
  readonly addr: Deno.NetAddr;
  /** Client connections open now (connecting or forwarding). */
  readonly active: number;
  /** Stops accepting; resolves once the listening socket is closed. */
  stopAccepting(): Promise<void>;
  /** Resolves once no connection is open. */
  idle(): Promise<void>;
  /** Ends every connection now, connecting ones too (end reason "shutdown"). */
  closeAll(): void;
  /** Releases the engine; call once idle. */
  close(): Promise<void>;
  /**
   * Serves the stats port on the engine's own loop, where an engine has one (so it answers
   * promptly however busy the engine is); throws what `Deno.listen` throws.
   *
   * @param respond the whole response to a request head
   */
  serveStats?(host: string, port: number, respond: (head: string) => Uint8Array): StatsEndpoint;
  /**
   * Backends taken out of the set (`--backends-file` reloaded): they get no new connections
   * (they are no longer in `backends`), and what the engine keeps for them goes as soon as no
   * connection needs it.
   */
  retire?(removed: readonly Backend[]): void;
}

/** Creates a frontend listening on host:port (throws what `Deno.listen` throws). */
export type FrontendFactory = (ctx: SessionContext, host: string, port: number) => Frontend;
