/**
 * netlab: run, load-balance and measure HTTP servers on your own machine, and get honest numbers.
 *
 * The public API: the static file handler, the async server, the Worker pool, the TCP balancer,
 * the load generator with its report renderers, and the lab that ties them together.
 *
 * @module
 */

// --- errors ---------------------------------------------------------------------------------------

export { NetlabError, UsageError } from "./lib/cli/errors.ts";
export { VERSION } from "./lib/version.ts";

// --- http: the static handler (lib/http) ---------------------------------------------------------

/**
 * Creates the static file handler: a plain `(Request) => Promise<Response>` function serving
 * `options.root` with ETags, conditional requests, ranges, compression and an in-memory cache.
 *
 * @param options The root and what to allow (listings, dotfiles, CORS, compression, demo routes).
 * @returns A handler for `Deno.serve`, or to call directly with a `Request`.
 *
 * @example Serve a directory with Deno.serve
 * ```ts ignore
 * import { createStaticHandler } from "@netlab/netlab";
 *
 * const handler = createStaticHandler({ root: "./www", cors: true });
 * Deno.serve({ port: 8000 }, handler);
 * ```
 *
 * @example Call it without a socket
 * ```ts ignore
 * import { createStaticHandler } from "@netlab/netlab";
 *
 * const handler = createStaticHandler({ root: "./www" });
 * const res = await handler(new Request("http://localhost/page.html"));
 * console.log(res.status, res.headers.get("etag"));
 * ```
 */
export { createStaticHandler } from "./lib/http/handler.ts";
export type { Handler, StaticOptions } from "./lib/http/handler.ts";
/**
 * The static handler with a `Response | Promise<Response>` signature: cached files are answered
 * synchronously, which saves `Deno.serve` a promise per request. Same options as
 * {@link createStaticHandler}.
 *
 * @param options The root and what to allow.
 * @returns A responder for `Deno.serve`.
 *
 * @example
 * ```ts ignore
 * import { createStaticResponder } from "@netlab/netlab";
 *
 * Deno.serve({ port: 8000 }, createStaticResponder({ root: "./www" }));
 * ```
 */
export { createStaticResponder } from "./lib/http/handler.ts";
export type { Responder } from "./lib/http/handler.ts";
/**
 * Files up to this many bytes (256 KiB) are kept in memory by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_MAX_FILE_BYTES } from "@netlab/netlab";
 * console.log(DEFAULT_CACHE_MAX_FILE_BYTES); // 262144
 * ```
 */
export { DEFAULT_CACHE_MAX_FILE_BYTES } from "./lib/http/handler.ts";
/**
 * Busy-waits for `ms` milliseconds on the calling thread (what `GET /_netlab/work?ms=N` does).
 *
 * @param ms How long to spin.
 * @returns The milliseconds actually spent.
 *
 * @example
 * ```ts
 * import { burnCpu } from "@netlab/netlab";
 * const spent = burnCpu(5);
 * console.log(spent >= 5); // true
 * ```
 */
export { burnCpu, DEMO_PATH, MAX_WORK_MS } from "./lib/http/demo.ts";
/**
 * The bundled `www/` directory, found from the code's own location rather than the cwd.
 *
 * @returns The absolute path of the sample site.
 *
 * @example
 * ```ts
 * import { defaultRoot } from "@netlab/netlab";
 * console.log(await defaultRoot()); // .../www
 * ```
 */
export { defaultRoot } from "./lib/runtime/assets.ts";

// --- server: netlab serve (lib/server) -----------------------------------------------------------

/**
 * Starts the async server: the static handler (or your own) on `Deno.serve`, one access-log line
 * per request, HTTPS with HTTP/2 when given a certificate, graceful drain when `signal` aborts.
 *
 * @param options Where to listen (`host` @default "127.0.0.1", `port` @default 8000), what to
 * serve (every {@link StaticOptions} field), `cert`/`key` PEM text, `signal`, `accessLog`
 * @default true.
 * @returns The running server, with its bound address and URL, once it listens.
 *
 * @example Serve www/ on a free port, then stop
 * ```ts ignore
 * import { defaultRoot, serve } from "@netlab/netlab";
 *
 * const controller = new AbortController();
 * const server = await serve({ root: await defaultRoot(), port: 0, signal: controller.signal });
 * console.log((await fetch(new URL("page.html", server.url))).status); // 200
 * controller.abort();
 * await server.finished;
 * ```
 */
export { serve } from "./lib/server/async.ts";
export type { RunningServer, ServeOptions } from "./lib/server/async.ts";
/** LogTape's logger type, which {@link ServeOptions} and {@link withAccessLog} take. */
export type { Logger } from "@logtape/logtape";
/**
 * Wraps a handler so each request logs `client method path status bytes ms` at info level.
 *
 * @param handler The handler to wrap.
 * @param logger Where the lines go, e.g. `getLogger(["netlab", "access"])`.
 * @returns The wrapped handler.
 *
 * @example
 * ```ts ignore
 * import { getLogger } from "@logtape/logtape";
 * import { createStaticHandler, withAccessLog } from "@netlab/netlab";
 *
 * const handler = withAccessLog(createStaticHandler({ root: "." }), getLogger(["app"]));
 * Deno.serve(handler);
 * ```
 */
export { withAccessLog } from "./lib/server/access_log.ts";

// --- pool: netlab pool (lib/server/pool) ---------------------------------------------------------

export {
  defaultDispatch,
  defaultWorkerCount,
  type PoolOptions,
  type PoolSummary,
  WorkerPool,
} from "./lib/server/pool.ts";
export { isPoolWorkerScope, runPoolWorker } from "./lib/server/pool_worker.ts";
export { POOL_WORKER_NAME, type PoolDispatch, WORKER_HEADER } from "./lib/server/pool_protocol.ts";

// --- balancer: netlab balance (lib/balancer) -----------------------------------------------------

// --- bench: netlab bench (lib/bench) -------------------------------------------------------------

// --- lab: netlab lab (lib/lab) -------------------------------------------------------------------
