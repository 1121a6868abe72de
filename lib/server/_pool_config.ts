/**
 * What the supervisor tells a worker to run: the pool's options narrowed to one worker's
 * {@link WorkerConfig}.
 *
 * @module
 */
import type { PoolOptions } from "./pool_options.ts";
import type { PoolDispatch, WorkerConfig } from "./pool_protocol.ts";

/** Where and how a worker serves, as the supervisor has settled it. */
export interface WorkerPlace {
  id: number;
  dispatch: PoolDispatch;
  engine: "deno" | "epoll";
  hostname: string;
  /** The port found so far (0 until the first kernel-dispatch worker listens). */
  port: number;
}

/** The configuration worker `at.id` starts with. */
export function workerConfig(options: PoolOptions, at: WorkerPlace): WorkerConfig {
  const { cert, key } = options;
  return {
    id: at.id,
    dispatch: at.dispatch,
    handler: options.handler,
    hostname: at.hostname,
    port: at.dispatch === "kernel" ? at.port || (options.port ?? 0) : 0,
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    logLevel: options.logLevel ?? "info",
    engine: at.engine,
    ...timeouts(options),
  };
}

/** The timeouts that are set, and only those (exactOptionalPropertyTypes). */
function timeouts(
  o: PoolOptions,
): Pick<WorkerConfig, "headerTimeout" | "keepAliveTimeout" | "sendTimeout"> {
  const out: Pick<WorkerConfig, "headerTimeout" | "keepAliveTimeout" | "sendTimeout"> = {};
  if (o.headerTimeout !== undefined) out.headerTimeout = o.headerTimeout;
  if (o.keepAliveTimeout !== undefined) out.keepAliveTimeout = o.keepAliveTimeout;
  if (o.sendTimeout !== undefined) out.sendTimeout = o.sendTimeout;
  return out;
}
