/**
 * What a `WorkerPool` is configured with, and what it reports as it exits; the defaults
 * the CLI shows in `--help`.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { StaticOptions } from "../http/handler.ts";
import type { PoolDispatch, WorkerConfig } from "./pool_protocol.ts";

/** Options for `WorkerPool`. */
export interface PoolOptions {
  /** What each worker serves: the static handler's options (root, list, cors, ...). */
  handler: StaticOptions;
  /** Number of workers, 1 to 256. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** `kernel` (reusePort, Linux only) or `queue`. @default {"kernel" on Linux, else "queue"} */
  dispatch?: PoolDispatch;
  /** @default {"127.0.0.1"} */
  hostname?: string;
  /** 0 picks a free port. @default {0} */
  port?: number;
  /** TLS certificate and key, PEM contents (not paths). */
  cert?: string;
  key?: string;
  /**
   * Module each worker runs: one that calls `runPoolWorker()` when loaded as a pool worker (the
   * CLI passes `main.ts`). @default {the URL of lib/server/pool_worker.ts}
   */
  workerUrl?: string | URL;
  /** Aborting it stops the pool gracefully, like `WorkerPool.stop()`. */
  signal?: AbortSignal;
  /**
   * Lowest level of the workers' records forwarded to the supervisor's loggers: `warning` drops
   * the access log; `debug` adds a record when each request starts. @default {"info"}
   */
  logLevel?: WorkerConfig["logLevel"];
  /** A crash loop is this many deaths within `crashWindowMs`. @default {5} */
  crashLimit?: number;
  /** @default {10000} */
  crashWindowMs?: number;
  /** How long a draining worker may take before it is terminated. @default {10000} */
  drainTimeoutMs?: number;
  /**
   * How long a worker may take to start listening before start() fails.
   * @default {10000, times the load average per CPU when above 1 (at most 100000)}
   */
  readyTimeoutMs?: number;
  /** Where the supervisor logs. @default {getLogger(["netlab", "pool"])} */
  logger?: Logger;
  /**
   * The HTTP engine of kernel-dispatched workers: `epoll` runs netlab's own HTTP/1.1 engine on a
   * loop per worker (Linux, FFI; TLS through OpenSSL 3); queue dispatch always uses Deno.serve. @default {"deno"}
   */
  engine?: "deno" | "epoll";
  /** The epoll engine's timeouts in seconds (nginx's defaults: 60, 75, 60). */
  headerTimeout?: number;
  keepAliveTimeout?: number;
  sendTimeout?: number;
}

/** Requests answered per worker seat, as the pool exits. */
export interface PoolSummary {
  workers: { id: number; served: number; restarts: number }[];
}

/**
 * Default worker count: one per CPU.
 *
 * @returns `navigator.hardwareConcurrency`, at least 1
 *
 * @example
 * ```ts
 * import { defaultDispatch, defaultWorkerCount } from "@netlab/netlab/server";
 * console.log(defaultWorkerCount(), defaultDispatch());
 * ```
 */
export function defaultWorkerCount(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * Default dispatch: the kernel spreads `reusePort` connections only on Linux.
 *
 * @returns `"kernel"` on Linux, `"queue"` elsewhere
 */
export function defaultDispatch(): PoolDispatch {
  return Deno.build.os === "linux" ? "kernel" : "queue";
}
