/**
 * One client connection through the balancer: pick a backend with the strategy, connect (the
 * next backend when a connect fails), proxy with recycled buffers, log its start and its end.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { BackendConnectError } from "./_connect.ts";
import type { Backend } from "./backend.ts";
import { formatAddress } from "./backend_spec.ts";
import type { HealthChecker } from "./health.ts";
import type { BalancerSettings } from "./options.ts";
import { proxy } from "./proxy.ts";
import type { Strategy } from "./strategies/mod.ts";
import type { Transport, TransportConn } from "./transport/transport.ts";

const MAX_SPARE_BUFFERS = 512;

/** What every connection of one balancer shares. */
export interface SessionContext {
  readonly backends: readonly Backend[];
  readonly strategy: Strategy;
  readonly settings: BalancerSettings;
  readonly health: HealthChecker;
  /** The socket layer backends are connected through. */
  readonly transport: Transport;
  readonly log: Logger;
  /** Aborted when the drain timeout ends: closes every connection. */
  readonly kill: AbortSignal;
  /** Buffers of finished connections, reused so a connection costs no allocation. */
  readonly spare: Uint8Array[];
}

/**
 * Serves one accepted client until its connection ends. Resolves `false` (client closed, error
 * logged) when no backend could take it.
 */
export async function serveClient(client: TransportConn, ctx: SessionContext): Promise<boolean> {
  const { backends, settings, log } = ctx;
  const remote = client.remoteAddr;
  const from = formatAddress(remote.hostname, remote.port);
  client.setNoDelay(true);
  const tried: Backend[] = [];
  let lastError = "no backend is up";
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    // the common case (first attempt, everything up) allocates nothing
    const candidates = attempt === 0 && backends.every((b) => b.state === "up")
      ? backends
      : backends.filter((b) => b.state === "up" && !tried.includes(b));
    const backend = ctx.strategy.pick(candidates, remote.hostname);
    if (!backend) break;
    tried.push(backend);
    backend.active++;
    let upstream: TransportConn;
    try {
      upstream = await ctx.transport.connect(
        backend.host,
        backend.port,
        settings.connectTimeoutMs,
      );
    } catch (err) {
      backend.active--;
      if (!(err instanceof BackendConnectError)) throw err;
      backend.failures++;
      lastError = `${backend.address}: ${err.message}`;
      log.warn(`cannot connect to ${backend.address} for ${from}: ${err.message}`, {
        client: from,
        backend: backend.address,
      });
      if (settings.healthIntervalMs > 0) ctx.health.markDown(backend, err.message);
      continue;
    }
    try {
      await forward(client, upstream, backend, from, ctx);
    } finally {
      backend.active--;
    }
    return true;
  }
  client.close();
  log.error(`no backend for connection from ${from}: ${lastError}`, {
    client: from,
    error: lastError,
  });
  return false;
}

async function forward(
  client: TransportConn,
  upstream: TransportConn,
  backend: Backend,
  from: string,
  ctx: SessionContext,
): Promise<void> {
  upstream.setNoDelay(true);
  backend.total++;
  const { log, settings, spare } = ctx;
  const logging = log.isEnabledFor("info");
  if (logging) {
    log.info(`connection from ${from} forwarded to ${backend.address}`, {
      client: from,
      backend: backend.address,
    });
  }
  const size = settings.bufferSize;
  const buffers = [
    spare.pop() ?? new Uint8Array(size),
    spare.pop() ?? new Uint8Array(size),
  ] as const;
  // proxy() settles only once both directions have stopped reading and writing, so the buffers
  // are free for the next connection from here on
  const result = await proxy(client, upstream, {
    buffers,
    idleTimeoutMs: settings.idleTimeoutMs,
    finTimeoutMs: settings.finTimeoutMs,
    signal: ctx.kill,
    traffic: backend.bytes,
  });
  if (spare.length < MAX_SPARE_BUFFERS) spare.push(...buffers);
  if (logging) {
    const why = result.error instanceof Error
      ? `${result.end}: ${result.error.message}`
      : result.end;
    log.info(
      `connection from ${from} to ${backend.address} ended (${why}): ${result.up} bytes up, ${result.down} bytes down, ${
        result.durationMs.toFixed(1)
      } ms`,
      {
        client: from,
        backend: backend.address,
        bytesUp: result.up,
        bytesDown: result.down,
        durationMs: result.durationMs,
        end: result.end,
      },
    );
  }
}
