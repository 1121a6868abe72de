/**
 * The servers: {@linkcode serve} (one event loop, `netlab serve`) and {@linkcode WorkerPool} (a pool
 * of Web Workers, `netlab pool`), each an instance that stops when its signal aborts.
 *
 * @example Serve the sample site on a free port, fetch a page, stop
 * ```ts
 * import { serve } from "@netlab/netlab/server";
 * import { defaultRoot } from "@netlab/netlab/http";
 *
 * const controller = new AbortController();
 * const server = await serve({
 *   root: await defaultRoot(),
 *   port: 0,
 *   accessLog: false,
 *   signal: controller.signal,
 * });
 * const res = await fetch(new URL("page.html", server.url));
 * console.log(res.status); // 200
 * await res.body?.cancel();
 * controller.abort();
 * await server.finished;
 * ```
 *
 * @module
 */

export { serve } from "./async.ts";
export type { RunningServer, ServeOptions } from "./async.ts";
export type { Logger } from "@logtape/logtape";
export { withAccessLog } from "../http/access_log.ts";
export { WorkerPool } from "./pool.ts";
export type { PoolOptions, PoolSummary } from "./pool_options.ts";
export { defaultDispatch, defaultWorkerCount } from "./pool_options.ts";
export { isPoolWorkerScope, runPoolWorker } from "./pool_worker.ts";
export { POOL_WORKER_NAME, WORKER_HEADER } from "./pool_protocol.ts";
export type { PoolDispatch } from "./pool_protocol.ts";
