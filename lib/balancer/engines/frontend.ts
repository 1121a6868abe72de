/**
 * What both balancer engines do, and share: accept clients, pick a backend with the strategy,
 * connect (the next backend when one fails), forward bytes both ways, log and count. The
 * `deno` engine does it with Deno.net and promises, the `epoll` engine with netlab's event loop
 * and a state machine per connection. `Balancer` drives either through {@linkcode Frontend}.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "../backend.ts";
import type { HealthChecker } from "../health.ts";
import type { BalancerSettings } from "../options.ts";
import type { Strategy } from "../strategies/mod.ts";

/** Which engine a balancer runs on. */
export type EngineName = "epoll" | "deno";

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
}

/** Creates a frontend listening on host:port (throws what `Deno.listen` throws). */
export type FrontendFactory = (ctx: SessionContext, host: string, port: number) => Frontend;

/**
 * The backends a connection may try now: up and not tried yet, in configured order. The first
 * attempt with every backend up (the common case) allocates nothing.
 */
export function candidates(
  ctx: SessionContext,
  tried: readonly Backend[] | undefined,
): readonly Backend[] {
  const { backends } = ctx;
  if (tried === undefined) {
    let allUp = true;
    for (let i = 0; i < backends.length; i++) {
      if (backends[i]!.state !== "up") {
        allUp = false;
        break;
      }
    }
    if (allUp) return backends;
  }
  return backends.filter((b) => b.state === "up" && !tried?.includes(b));
}

/** Notes and logs a failed connect to `backend`; a backend that fails is taken out at once. */
export function connectFailed(
  ctx: SessionContext,
  backend: Backend,
  from: string,
  message: string,
): void {
  backend.failures++;
  ctx.log.warn(`cannot connect to ${backend.address} for ${from}: ${message}`, {
    client: from,
    backend: backend.address,
  });
  if (ctx.settings.healthIntervalMs > 0) ctx.health.markDown(backend, message);
}

/** Logs a client no backend could take. */
export function noBackend(ctx: SessionContext, from: string, lastError: string): void {
  ctx.counters.unserved++;
  ctx.log.error(`no backend for connection from ${from}: ${lastError}`, {
    client: from,
    error: lastError,
  });
}

/** Logs a connection handed to a backend (info: only when something prints it). */
export function logForwarded(log: Logger, from: string, backend: Backend): void {
  log.info(`connection from ${from} forwarded to ${backend.address}`, {
    client: from,
    backend: backend.address,
  });
}

/** Logs how a connection ended. */
export function logEnded(
  log: Logger,
  from: string,
  backend: Backend,
  end: string,
  error: Error | undefined,
  up: number,
  down: number,
  durationMs: number,
): void {
  const why = error ? `${end}: ${error.message}` : end;
  log.info(
    `connection from ${from} to ${backend.address} ended (${why}): ${up} bytes up, ${down} bytes down, ${
      durationMs.toFixed(1)
    } ms`,
    {
      client: from,
      backend: backend.address,
      bytesUp: up,
      bytesDown: down,
      durationMs,
      end,
    },
  );
}
