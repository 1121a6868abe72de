/**
 * One client connection on the Deno engine: pick a backend with the strategy, connect (the next
 * backend when a connect fails), proxy with recycled buffers, log its start and its end.
 *
 * @module
 */
import { BackendConnectError, connectWithTimeout } from "../_connect.ts";
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import { proxy } from "../proxy.ts";
import { outOfDescriptors, type OverloadLog } from "./_overload.ts";
import type { SessionContext } from "./frontend.ts";
import { Attempts, connectSucceeded } from "./_choice.ts";
import { logBackendFailed, logEnded, logForwarded, noBackend } from "./_log.ts";

const MAX_SPARE_BUFFERS = 512;

/** What the Deno engine's connections share besides the balancer's context. */
export interface DenoSessionContext extends SessionContext {
  /** Aborted to close every connection (connecting ones too). */
  readonly kill: AbortSignal;
  /** Buffers of finished connections, reused so a connection costs no allocation. */
  readonly spare: Uint8Array[];
  /** Where "out of descriptors" goes: once a second, not once a connection. */
  readonly overload: OverloadLog;
}

/** Serves one accepted client until its connection ends. */
export async function serveClient(client: Deno.TcpConn, ctx: DenoSessionContext): Promise<void> {
  const { settings } = ctx;
  const remote = client.remoteAddr;
  const from = formatAddress(remote.hostname, remote.port);
  client.setNoDelay(true);
  const attempts = new Attempts();
  while (!ctx.kill.aborted) {
    const backend = attempts.next(ctx, remote.hostname);
    if (!backend) break;
    backend.active++;
    let upstream: Deno.TcpConn;
    try {
      upstream = await connectWithTimeout(
        backend.host,
        backend.port,
        settings.connectTimeoutMs,
        ctx.kill,
      );
    } catch (err) {
      backend.active--;
      if (ctx.kill.aborted) break; // shutting down: not the backend's fault
      if (outOfDescriptors(err)) {
        // our shortage, not the backend's: held against no backend
        ctx.overload.note(`cannot connect to a backend: ${(err as Error).message}`);
        ctx.counters.unserved++;
        client.close();
        return;
      }
      if (!(err instanceof BackendConnectError)) throw err;
      attempts.failed(ctx, from, err.message);
      continue;
    }
    connectSucceeded(backend);
    try {
      await forward(client, upstream, backend, from, ctx);
    } finally {
      backend.active--;
    }
    return;
  }
  client.close();
  if (!ctx.kill.aborted) noBackend(ctx, from, attempts.lastError);
}

async function forward(
  client: Deno.TcpConn,
  upstream: Deno.TcpConn,
  backend: Backend,
  from: string,
  ctx: DenoSessionContext,
): Promise<void> {
  try {
    upstream.setNoDelay(true);
  } catch (err) {
    upstream.close(); // never leak the backend's socket
    throw err;
  }
  backend.total++;
  const { log, settings, spare } = ctx;
  const logging = log.isEnabledFor("info");
  if (logging) logForwarded(log, from, backend);
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
  const error = result.error instanceof Error ? result.error : undefined;
  if (result.end === "backend error" && result.down === 0) {
    logBackendFailed(log, from, backend, error?.message ?? result.end);
  }
  if (logging) {
    logEnded(log, from, backend, result.end, error, result.up, result.down, result.durationMs);
  }
}
