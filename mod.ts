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

/**
 * A supervised pool of Web Workers serving the static handler on one port: `kernel` dispatch
 * (every worker listens with `reusePort`, Linux) or `queue` dispatch (the main thread hands each
 * request to the least-busy worker). Dead workers are replaced at once; a crash loop rejects
 * `finished`. An instance with start/stop and an AbortSignal; no global state.
 *
 * @param options What to serve (`handler`: the static handler's options), `workers` (1 to 256,
 *   default: CPU count), `dispatch`, `hostname`, `port`, `cert`/`key`, `signal`, `logLevel`.
 * @returns A pool; `start()` resolves once every worker listens, `stop()` drains them all.
 *
 * @example Two workers, one CPU-heavy request each at the same time
 * ```ts ignore
 * import { WorkerPool } from "@netlab/netlab";
 *
 * const controller = new AbortController();
 * const pool = new WorkerPool({
 *   handler: { root: "./www", demoRoutes: true },
 *   workers: 2,
 *   port: 0,
 *   signal: controller.signal,
 * });
 * await pool.start();
 * const answers = await Promise.all(
 *   [1, 2].map(() => fetch(`${pool.url}_netlab/work?ms=100`)),
 * );
 * console.log(answers.map((r) => r.headers.get("x-netlab-worker")));
 * controller.abort(); // drains every worker
 * console.log(await pool.finished); // { workers: [{ id: 1, served: 1, restarts: 0 }, ...] }
 * ```
 */
export { WorkerPool } from "./lib/server/pool.ts";
export type { PoolOptions, PoolSummary } from "./lib/server/pool.ts";
/**
 * The pool's defaults: one worker per CPU; `kernel` dispatch on Linux, `queue` elsewhere.
 *
 * @returns The worker count, or the dispatch mode.
 *
 * @example
 * ```ts
 * import { defaultDispatch, defaultWorkerCount } from "@netlab/netlab";
 * console.log(defaultWorkerCount(), defaultDispatch());
 * ```
 */
export { defaultDispatch, defaultWorkerCount } from "./lib/server/pool.ts";
/**
 * The worker side of the pool. A program whose entry module doubles as the worker checks
 * `isPoolWorkerScope()` first and calls `runPoolWorker()`, then passes its own `import.meta.url`
 * as `workerUrl` (this is what `main.ts` does, so bundles and compiled binaries need no second
 * file). Without `workerUrl` the pool uses `lib/server/pool_worker.ts`.
 *
 * @returns `isPoolWorkerScope()`: true inside a worker named `POOL_WORKER_NAME`.
 *
 * @example An entry module that is also the pool's worker
 * ```ts ignore
 * import { isPoolWorkerScope, runPoolWorker, WorkerPool } from "@netlab/netlab";
 *
 * if (isPoolWorkerScope()) {
 *   runPoolWorker();
 * } else {
 *   const pool = new WorkerPool({ handler: { root: "." }, workerUrl: import.meta.url, port: 0 });
 *   await pool.start();
 *   await pool.stop();
 * }
 * ```
 */
export { isPoolWorkerScope, runPoolWorker } from "./lib/server/pool_worker.ts";
/**
 * Pool constants and the dispatch type: the workers' name, and the `x-netlab-worker` response
 * header that names the worker that answered.
 *
 * @example
 * ```ts
 * import { POOL_WORKER_NAME, WORKER_HEADER } from "@netlab/netlab";
 * console.log(POOL_WORKER_NAME, WORKER_HEADER); // netlab-pool-worker x-netlab-worker
 * ```
 */
export { POOL_WORKER_NAME, WORKER_HEADER } from "./lib/server/pool_protocol.ts";
export type { PoolDispatch } from "./lib/server/pool_protocol.ts";

// --- balancer: netlab balance (lib/balancer) -----------------------------------------------------

// --- bench: netlab bench (lib/bench) -------------------------------------------------------------

/**
 * Runs one benchmark against one URL, ab-style, and resolves to its {@linkcode BenchResult}.
 * Closed model by default (`concurrency` clients, `requests` or `timeLimitSeconds`); open model
 * with `rate`. Network failures are counted, never thrown; invalid options throw `UsageError`.
 *
 * @param options what to load and how (see {@linkcode BenchOptions} for defaults)
 * @param control `signal` stops the run early (the result covers what was done); `onProgress`
 *   is called about every 250 ms
 * @returns the counters, timings and percentiles of the run
 * @example
 * ```ts ignore
 * import { bench, renderAb } from "@netlab/netlab";
 *
 * const result = await bench({
 *   url: "http://127.0.0.1:8000/page.html",
 *   requests: 1000,
 *   concurrency: 10,
 *   keepAlive: true,
 *   engine: "raw",
 * });
 * console.log(result.requestsPerSecond, result.percentiles["99"]);
 * console.log(renderAb(result));
 * ```
 */
export { bench } from "./lib/bench/run.ts";
/**
 * Runs every URL at every concurrency level in turn, each run with fresh connections.
 *
 * @param options the shared {@linkcode BenchOptions} plus `urls` and `concurrencyLevels`
 * @param control `signal`, `onProgress`, and `onRun` (told before each run)
 * @returns one result per combination, URL-major
 * @example
 * ```ts ignore
 * import { benchMatrix, renderMarkdown } from "@netlab/netlab";
 *
 * const results = await benchMatrix({
 *   urls: ["http://127.0.0.1:45000/page.html"],
 *   concurrencyLevels: [1, 5, 10],
 *   requests: 1000,
 * });
 * console.log(renderMarkdown(results));
 * ```
 */
export { benchMatrix } from "./lib/bench/matrix.ts";
export type { BenchMatrixControl, BenchMatrixOptions } from "./lib/bench/matrix.ts";
export type { BenchControl, BenchOptions, BenchProgress } from "./lib/bench/run.ts";
export type { BenchResult, FailureCounts, TimingStats } from "./lib/bench/result.ts";
/**
 * Renders a result as ApacheBench prints it ("Server Software:" to the percentage table), then
 * tail percentiles, status codes and errors by cause.
 *
 * @param result a bench result
 * @returns the report text
 * @example
 * ```ts ignore
 * import { bench, renderAb } from "@netlab/netlab";
 * console.log(renderAb(await bench({ url: "http://127.0.0.1:8000/", requests: 100 })));
 * ```
 */
export { renderAb } from "./lib/bench/render/ab.ts";
/**
 * Renders results as JSON (one object, or an array for several runs).
 *
 * @param results bench results
 * @returns JSON text
 * @example
 * ```ts ignore
 * import { bench, renderJson } from "@netlab/netlab";
 * console.log(renderJson([await bench({ url: "http://127.0.0.1:8000/", requests: 100 })]));
 * ```
 */
export { renderJson } from "./lib/bench/render/json.ts";
/**
 * Renders results as CSV: one row per run with counters, percentiles, status codes and errors.
 *
 * @param results bench results
 * @returns CSV text with a header row
 * @example
 * ```ts ignore
 * import { bench, renderCsv } from "@netlab/netlab";
 * console.log(renderCsv([await bench({ url: "http://127.0.0.1:8000/", requests: 100 })]));
 * ```
 */
export { renderCsv } from "./lib/bench/render/csv.ts";
/**
 * Renders the lab's markdown tables: one per URL, exactly the lab's nine columns.
 *
 * @param results bench results (e.g. from `benchMatrix`)
 * @param options `title(url)` for the heading above each table; @default {"### <url>"}
 * @returns markdown text
 * @example
 * ```ts ignore
 * import { benchMatrix, renderMarkdown } from "@netlab/netlab";
 * const results = await benchMatrix({
 *   urls: ["http://127.0.0.1:8000/"],
 *   concurrencyLevels: [1, 10],
 *   requests: 100,
 * });
 * console.log(renderMarkdown(results, { title: (url) => `## async ${url}` }));
 * ```
 */
export { MARKDOWN_HEADER, renderMarkdown } from "./lib/bench/render/markdown.ts";

// --- lab: netlab lab (lib/lab) -------------------------------------------------------------------
/**
 * Runs the whole lab: four async servers behind a round-robin balancer, a standalone async server
 * and a worker pool, each in its own process; the bench matrix against async, pool and balancer;
 * the balancer's connections per backend. Every child process is stopped before it returns or
 * throws, including when `hooks.signal` aborts.
 *
 * @param options Ports (`backendPorts` @default [9002, 9003, 9004, 9005], `balancerPort`
 * @default 44444, `asyncPort` @default 45000, `poolPort` @default 46000; 0 = any free port),
 * `requests` @default 1000, `concurrencyLevels` @default [1, 5, 10, 20, 50, 100], `keepAlive`
 * @default false, `workers` @default the number of CPUs, `demoRoutes` @default false.
 * @param hooks `signal` to stop early, `onProgress` to hear about each run.
 * @returns The result: every run, the servers started and the connections per backend.
 *
 * @example A quick lab on free ports
 * ```ts ignore
 * import { renderLabMarkdown, runLab, writeLabReport } from "@netlab/netlab";
 *
 * const result = await runLab({
 *   requests: 200,
 *   concurrencyLevels: [1, 10],
 *   backendPorts: [0, 0, 0, 0],
 *   balancerPort: 0,
 *   asyncPort: 0,
 *   poolPort: 0,
 * }, { onProgress: (e) => e.kind === "run" && console.log(e.index, e.total) });
 * console.log(renderLabMarkdown(result));
 * await writeLabReport(result, "lab-report");
 * ```
 */
export { labSettings, runLab } from "./lib/lab/lab.ts";
export type { LabHooks, LabOptions, LabProgress } from "./lib/lab/lab.ts";
export type {
  BackendConnections,
  LabModel,
  LabResult,
  LabRun,
  LabServer,
  LabSettings,
} from "./lib/lab/types.ts";
/**
 * Renders a lab's markdown report (report.md): one table per model in the lab's columns, the
 * comparison (best req/s, p99 at the highest concurrency, failures) and connections per backend.
 *
 * @param result A finished lab, e.g. from `runLab()` or parsed from results.json.
 * @returns Markdown text.
 *
 * @example
 * ```ts ignore
 * import { renderLabMarkdown } from "@netlab/netlab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * console.log(renderLabMarkdown(result));
 * ```
 */
export { renderComparison, renderConnections, renderLabMarkdown } from "./lib/lab/report_md.ts";
/**
 * Renders a lab's HTML report (report.html) with its charts inline: no script, no CDN.
 *
 * @param result A finished lab.
 * @param charts Its charts, from `renderLabCharts(result)`.
 * @returns A complete HTML document.
 *
 * @example
 * ```ts ignore
 * import { renderLabCharts, renderLabHtml } from "@netlab/netlab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * await Deno.writeTextFile("report.html", renderLabHtml(result, await renderLabCharts(result)));
 * ```
 */
export { renderLabHtml } from "./lib/lab/report_html.ts";
/**
 * The lab's charts: vega-lite specifications (req/s, and p50/p99 latency, against concurrency per
 * model) rendered to SVG strings headless by vega.
 *
 * @param result A finished lab.
 * @returns The charts with their ids, titles and `<svg>` markup.
 *
 * @example
 * ```ts ignore
 * import { renderLabCharts } from "@netlab/netlab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * for (const chart of await renderLabCharts(result)) {
 *   await Deno.writeTextFile(`${chart.id}.svg`, chart.svg);
 * }
 * ```
 */
export { labChartSpecs, renderLabCharts, renderSvg } from "./lib/lab/charts.ts";
export type { LabChart, LabChartSpec, VegaLiteSpec } from "./lib/lab/charts.ts";
/**
 * Writes report.md, results.json and report.html into a directory (created if missing).
 *
 * @param result A finished lab.
 * @param dir The output directory, e.g. "lab-report".
 * @returns The three paths written.
 *
 * @example
 * ```ts ignore
 * import { runLab, writeLabReport } from "@netlab/netlab";
 *
 * const files = await writeLabReport(await runLab(), "lab-report");
 * console.log(files.html);
 * ```
 */
export { writeLabReport } from "./lib/lab/write.ts";
export type { LabReportFiles } from "./lib/lab/write.ts";
