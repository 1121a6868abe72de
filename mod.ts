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

// --- server: netlab serve (lib/server) -----------------------------------------------------------

// --- pool: netlab pool (lib/server/pool) ---------------------------------------------------------

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
