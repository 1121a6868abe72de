/**
 * netlab: run, load-balance and measure HTTP servers on your own machine, and get honest numbers.
 *
 * The public API: the static file handler, the async server, the Worker pool, the TCP balancer,
 * the load generator with its report renderers, and the lab that ties them together.
 *
 * @module
 */

// --- errors ---------------------------------------------------------------------------------------

export { NetlabError, UsageError } from "./lib/errors.ts";
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
 * A burner of the calling thread's CPU time (what `GET /_netlab/work?ms=N` does): its CPU clock
 * (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)` through FFI) where FFI is allowed, otherwise work
 * calibrated once at creation. Keep one per thread.
 *
 * @param prefer "calibrated" to skip the clock
 * @returns a burner whose `burn(ms)` says the CPU and wall milliseconds it spent
 *
 * @example
 * ```ts
 * import { createCpuBurner } from "@netlab/netlab";
 * const burner = createCpuBurner();
 * const { cpuMs, wallMs } = burner.burn(5);
 * console.log(burner.clock, cpuMs >= 5, wallMs); // "thread-cpu" true ...
 * ```
 */
export { createCpuBurner, DEMO_PATH, MAX_WORK_MS } from "./lib/http/demo.ts";
export type { Burn, CpuBurner, CpuClockKind, WorkAnswer } from "./lib/http/demo.ts";
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
 *   default: CPU count), `dispatch`, `hostname`, `port`, `cert`/`key` (PEM contents), `signal`,
 *   `logLevel`, `workerUrl` (the module each worker runs), `crashLimit`/`crashWindowMs` (default:
 *   5 deaths in 10 s), `drainTimeoutMs` (default: 10 s), `logger`.
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
export type { PoolOptions, PoolSummary } from "./lib/server/pool_options.ts";
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
export { defaultDispatch, defaultWorkerCount } from "./lib/server/pool_options.ts";
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

/**
 * Starts a TCP load balancer in front of `options.backends`: strategy-picked backend per client
 * connection, retries on the next backend when a connect fails, active health checks, half-close
 * aware proxying with bounded buffers, optional `/stats` and `/metrics`, drain when `signal` aborts.
 *
 * @param options Backends (from {@linkcode parseBackends}), where to listen (`host` @default
 *   "127.0.0.1", `port` @default 44444), `strategy` @default "round-robin", timeouts, retries
 *   @default 3, `maxConns` @default 10000, `healthIntervalMs` @default 2000, `statsPort`, `signal`,
 *   `engine` @default "auto" (epoll over FFI on Linux with IP-literal hosts and FFI allowed, else
 *   Deno.net; `balancer.engine` says which runs).
 * @returns The running {@linkcode Balancer}, already listening (`addr` has the resolved port).
 *
 * @example Round-robin over four local servers until Ctrl-C
 * ```ts ignore
 * import { parseBackends, startBalancer } from "@netlab/netlab";
 *
 * const controller = new AbortController();
 * Deno.addSignalListener("SIGINT", () => controller.abort());
 * const lb = await startBalancer({
 *   backends: parseBackends(["127.0.0.1:9002-9005"]),
 *   port: 44444,
 *   signal: controller.signal,
 * });
 * await lb.finished; // after the drain
 * ```
 *
 * @example In a test: port 0, stop with `await using`
 * ```ts ignore
 * import { startBalancer } from "@netlab/netlab";
 *
 * await using lb = await startBalancer({
 *   backends: [{ host: "127.0.0.1", port: 9002, weight: 1 }],
 *   port: 0,
 *   strategy: "least-conn",
 * });
 * console.log(lb.addr.port, lb.stats().backends);
 * ```
 */
export { Balancer, ListenFailedError, startBalancer } from "./lib/balancer/balancer.ts";
export type { BalancerOptions } from "./lib/balancer/balancer.ts";
export type { EngineChoice } from "./lib/balancer/transport/select.ts";
export type { EngineName } from "./lib/balancer/transport/transport.ts";
/**
 * Parses `--backend` values: `HOST:PORT`, port ranges `HOST:FIRST-LAST`, comma lists, `[IPv6]:PORT`
 * and a weight suffix `@N` (1-256, default 1).
 *
 * @param values The raw values, in order.
 * @returns One {@linkcode BackendSpec} per backend, in order.
 * @throws {BackendSpecError} when the list is empty, a value is malformed or repeats a backend.
 *
 * @example
 * ```ts
 * import { parseBackends } from "@netlab/netlab";
 *
 * const specs = parseBackends(["127.0.0.1:9002-9003@2", "[::1]:9004"]);
 * console.log(specs.length); // 3
 * console.log(specs[0]); // { host: "127.0.0.1", port: 9002, weight: 2 }
 * ```
 */
export { BackendSpecError, formatAddress, parseBackends } from "./lib/balancer/backend_spec.ts";
export type { BackendSpec } from "./lib/balancer/backend_spec.ts";
/**
 * The balancing strategies, all behind one {@linkcode Strategy} interface:
 * `pick(candidates, clientHost)` returns one of the candidates.
 *
 * @param name `"round-robin"` (smooth weighted, nginx's), `"least-conn"`, `"random"` (two
 *   choices) or `"source-hash"` (weighted rendezvous hashing).
 * @returns A fresh strategy with its own rotation state.
 *
 * @example
 * ```ts
 * import { createStrategy } from "@netlab/netlab";
 *
 * const rr = createStrategy("round-robin");
 * const backends = [
 *   { address: "a:1", weight: 5, active: 0 },
 *   { address: "b:1", weight: 1, active: 0 },
 *   { address: "c:1", weight: 1, active: 0 },
 * ];
 * const order = Array.from({ length: 7 }, () => rr.pick(backends, "10.0.0.1")!.address[0]);
 * console.log(order.join(" ")); // a a b a c a a
 * ```
 */
export {
  createStrategy,
  LeastConn,
  RandomTwoChoices,
  RoundRobin,
  SourceHash,
  STRATEGY_NAMES,
} from "./lib/balancer/strategies/mod.ts";
export type { Pickable, Strategy, StrategyName } from "./lib/balancer/strategies/mod.ts";
/**
 * Proxies bytes both ways between two connected sockets with one reused buffer per direction,
 * backpressure, half-close (`closeWrite`), idle and FIN timeouts; closes both when done.
 *
 * @param client The accepted client connection.
 * @param backend The connection to the backend.
 * @param options `bufferSize` @default 16384, `idleTimeoutMs` @default 60000, `finTimeoutMs`
 *   @default 30000, `signal`, shared `traffic` counters.
 * @returns Bytes each way, duration and how it ended.
 *
 * @example
 * ```ts ignore
 * import { proxy } from "@netlab/netlab";
 *
 * for await (const client of Deno.listen({ port: 8080 })) {
 *   const backend = await Deno.connect({ port: 8000 });
 *   proxy(client, backend).then((r) => console.log(r.end, r.up, r.down));
 * }
 * ```
 */
export { DEFAULT_BUFFER_SIZE, proxy } from "./lib/balancer/proxy.ts";
export type { EndReason, ProxyOptions, ProxyResult, Traffic } from "./lib/balancer/proxy.ts";
/**
 * Active TCP health checks over a set of backends: down after `fall` (3) failures in a row, up
 * after `rise` (2) successes, each change logged.
 *
 * @param backends The balancer's backends (their `state` is updated in place).
 * @param options `intervalMs`, `timeoutMs`, `rise` @default 2, `fall` @default 3, `logger`.
 * @returns A checker; `start()` it, `await stop()` it.
 *
 * @example
 * ```ts ignore
 * import { Backend, HealthChecker } from "@netlab/netlab";
 * import { getLogger } from "@logtape/logtape";
 *
 * const backends = [new Backend({ host: "127.0.0.1", port: 9002, weight: 1 })];
 * const checker = new HealthChecker(backends, { intervalMs: 2000, timeoutMs: 1000, logger: getLogger(["app"]) });
 * await checker.checkAll();
 * console.log(backends[0].state);
 * ```
 */
export { HealthChecker } from "./lib/balancer/health.ts";
export type { HealthOptions } from "./lib/balancer/health.ts";
/**
 * One backend at run time: address, weight, `up`/`down` state and live counters.
 *
 * @example
 * ```ts
 * import { Backend } from "@netlab/netlab";
 * const b = new Backend({ host: "::1", port: 9002, weight: 1 });
 * console.log(b.address, b.state); // [::1]:9002 up
 * ```
 */
export { Backend } from "./lib/balancer/backend.ts";
export type { BackendState } from "./lib/balancer/backend.ts";
/**
 * The stats endpoint as a plain handler (`GET /stats` JSON, `GET /metrics` Prometheus) and the
 * Prometheus renderer, a pure function.
 *
 * @param source Returns the current {@linkcode BalancerStats}, e.g. `() => balancer.stats()`.
 * @returns A `(Request) => Response` handler.
 *
 * @example
 * ```ts ignore
 * import { createStatsHandler, startBalancer } from "@netlab/netlab";
 *
 * const lb = await startBalancer({ backends: [{ host: "127.0.0.1", port: 9002, weight: 1 }] });
 * Deno.serve({ port: 9100 }, createStatsHandler(() => lb.stats()));
 * ```
 */
export { createStatsHandler, renderMetrics } from "./lib/balancer/stats.ts";
export type { BackendStats, BalancerStats } from "./lib/balancer/stats.ts";
/**
 * Renders the HAProxy configuration (`mode tcp`) equivalent to balancer options: frontend,
 * backend servers with weights, strategy, health checks, timeouts, retries, optional stats.
 *
 * @param options The same shape as {@linkcode BalancerOptions}, minus runtime-only fields.
 * @returns The configuration text.
 *
 * @example
 * ```ts
 * import { haproxyConfig, parseBackends } from "@netlab/netlab";
 *
 * const text = haproxyConfig({ backends: parseBackends(["127.0.0.1:9002-9005"]), port: 44444 });
 * console.log(text.includes("balance roundrobin")); // true
 * ```
 */
export { haproxyConfig } from "./lib/balancer/haproxy.ts";
export type { HaproxyConfigOptions } from "./lib/balancer/haproxy.ts";

// --- bench: netlab bench (lib/bench) -------------------------------------------------------------

/**
 * Runs one benchmark against one URL, ab-style, and resolves to its {@linkcode BenchResult}.
 * Closed model by default (`concurrency` clients, `requests` or `timeLimitSeconds`); open model
 * with `rate`. With `threads` above 1 (the default with the fetch engine) the clients are shared
 * out among this thread and Web Workers, whose counts are added into one result. Network failures
 * are counted, never thrown; invalid options throw `UsageError`.
 *
 * @param options what to load and how (see {@linkcode BenchOptions} for defaults)
 * @param control `signal` stops the run early (the result covers what was done); `onProgress`
 *   is called about every 250 ms
 * @returns the counters, timings and percentiles of the run
 * @example
 * ```ts
 * import { bench } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const result = await bench({ url, requests: 100, concurrency: 10, keepAlive: true, engine: "raw" });
 * assert.equal(result.complete, 100);
 * assert.equal(result.documentLength, 5);
 * assert.ok(result.percentiles["99"]! >= result.percentiles["50"]!);
 * ```
 */
export { bench } from "./lib/bench/run.ts";
/**
 * The worker side of a threaded bench, as the pool's: a program whose entry module doubles as the
 * worker checks `isBenchWorkerScope()` first and calls `runBenchWorker()`, then passes its own
 * `import.meta.url` as the bench's `workerUrl` (what `main.ts` does). Without `workerUrl` the
 * bench uses `lib/bench/bench_worker.ts`.
 *
 * @returns `isBenchWorkerScope()`: true inside a worker named "netlab-bench-worker".
 *
 * @example An entry module that is also the bench's worker
 * ```ts ignore
 * import { bench, isBenchWorkerScope, runBenchWorker } from "@netlab/netlab";
 *
 * if (isBenchWorkerScope()) {
 *   runBenchWorker();
 * } else {
 *   const url = "http://127.0.0.1:8000/";
 *   const r = await bench({ url, requests: 1000, concurrency: 8, threads: 2, workerUrl: import.meta.url });
 *   console.log(r.requestsPerSecond);
 * }
 * ```
 */
export { isBenchWorkerScope, runBenchWorker } from "./lib/bench/bench_worker.ts";
/** Threads a bench uses when none are asked for, per engine (2 with fetch, 1 with raw). */
export { DEFAULT_THREADS } from "./lib/bench/options.ts";
/**
 * Runs every URL at every concurrency level in turn, each run with fresh connections.
 *
 * @param options the shared {@linkcode BenchOptions} plus `urls` and `concurrencyLevels`
 * @param control `signal`, `onProgress`, and `onRun` (told before each run)
 * @returns one result per combination, URL-major
 * @example
 * ```ts
 * import { benchMatrix } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const results = await benchMatrix({ urls: [url], concurrencyLevels: [1, 5], requests: 20 });
 * assert.deepEqual(results.map((r) => r.concurrency), [1, 5]);
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
 * ```ts
 * import { bench, renderAb } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const report = renderAb(await bench({ url, requests: 10 }));
 * assert.match(report, /^Complete requests:\s+10$/m);
 * ```
 */
export { renderAb } from "./lib/bench/render/ab.ts";
/**
 * Renders results as JSON (one object, or an array for several runs).
 *
 * @param results bench results
 * @returns JSON text
 * @example
 * ```ts
 * import { bench, renderJson } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const json = JSON.parse(renderJson([await bench({ url, requests: 10 })]));
 * assert.equal(json.complete, 10);
 * ```
 */
export { renderJson } from "./lib/bench/render/json.ts";
/**
 * Renders results as CSV: one row per run with counters, percentiles, status codes and errors.
 *
 * @param results bench results
 * @returns CSV text with a header row
 * @example
 * ```ts
 * import { bench, renderCsv } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const csv = renderCsv([await bench({ url, requests: 10 })]);
 * assert.equal(csv.trim().split("\n").length, 2);
 * ```
 */
export { renderCsv } from "./lib/bench/render/csv.ts";
/**
 * Renders the lab's markdown tables: one per URL, exactly the lab's nine columns
 * ({@linkcode MARKDOWN_HEADER}).
 *
 * @param results bench results (e.g. from `benchMatrix`)
 * @param options `title(url)` for the heading above each table; @default {"### <url>"}
 * @returns markdown text
 * @example
 * ```ts
 * import { benchMatrix, MARKDOWN_HEADER, renderMarkdown } from "@netlab/netlab";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const results = await benchMatrix({ urls: [url], concurrencyLevels: [1, 2], requests: 10 });
 * const table = renderMarkdown(results, { title: () => "## async" });
 * assert.ok(table.includes(MARKDOWN_HEADER));
 * ```
 */
export { MARKDOWN_HEADER, renderMarkdown } from "./lib/bench/render/markdown.ts";

// --- lab: netlab lab (lib/lab) -------------------------------------------------------------------
/**
 * Runs the whole lab: four async servers behind a round-robin balancer, a standalone async server
 * and a worker pool, each in its own process, plus the installed references (nginx, HAProxy); the
 * bench matrix against each, `repeat` times in a rotating order; the balancer's connections per
 * backend. Every child process is stopped before it returns or throws. When `hooks.signal` aborts
 * or a server dies during the runs, it returns the runs that finished, marked `interrupted`.
 *
 * @param options Ports (`backendPorts` @default [9002, 9003, 9004, 9005], `balancerPort`
 * @default 44444, `asyncPort` @default 45000, `poolPort` @default 46000; 0 = any free port),
 * `requests` @default 1000, `repeat` @default 3, `warmup` @default 100, `anchors` @default "auto",
 * `concurrencyLevels` @default [1, 5, 10, 20, 50, 100], `keepAlive` @default false, `workers`
 * @default the number of CPUs, `demoRoutes` @default false.
 * @param hooks `signal` to stop early, `onProgress` to hear about each run.
 * @returns The result: every cell (bench's JSON cell shape) with its runs and their summary, the
 * servers started, the references and the connections per backend.
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
 * await writeLabReport(result, "lab-report/mine");
 * ```
 */
export { labSettings, runLab } from "./lib/lab/lab.ts";
export type { LabHooks, LabOptions, LabProgress } from "./lib/lab/lab.ts";
export type {
  AnchorModel,
  AnchorStatus,
  BackendConnections,
  LabCell,
  LabEnvironment,
  LabModel,
  LabResult,
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
 * const result = JSON.parse(await Deno.readTextFile("lab-report/latest/results.json"));
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
 * const result = JSON.parse(await Deno.readTextFile("lab-report/latest/results.json"));
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
 * const result = JSON.parse(await Deno.readTextFile("lab-report/latest/results.json"));
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
