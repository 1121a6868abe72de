/**
 * The load generator of `netlab bench`: {@linkcode bench} runs one URL at one concurrency and
 * resolves to a {@linkcode BenchResult}; {@linkcode benchMatrix} runs combinations; the renderers
 * are pure functions returning strings.
 *
 * @example Load a local server and print ab's report
 * ```ts
 * import { bench, renderAb } from "@netlab/netlab/bench";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const result = await bench({
 *   url: `http://127.0.0.1:${server.addr.port}/`,
 *   requests: 100,
 *   concurrency: 4,
 *   engine: "raw",
 * });
 * console.log(result.complete); // 100
 * console.log(renderAb(result).includes("Requests per second")); // true
 * ```
 *
 * @module
 */

export { bench } from "./run.ts";
export { isBenchWorkerScope, runBenchWorker } from "./bench_worker.ts";
export { DEFAULT_THREADS } from "./options.ts";
export { benchMatrix } from "./matrix.ts";
export type { BenchMatrixControl, BenchMatrixOptions } from "./matrix.ts";
export type { BenchControl, BenchOptions, BenchProgress } from "./run.ts";
export type {
  BenchResult,
  FailureCounts,
  PerUrlResult,
  TimelinePoint,
  TimingStats,
} from "./result.ts";
export type { BenchTarget } from "./_table_options.ts";
export { chooseEngine } from "./engine_choice.ts";
export type { EngineChoice, EngineName, EngineRequest, EnvReader } from "./engine_choice.ts";
export type { LiveSnapshot } from "./recorder.ts";
export { renderAb } from "./render/ab.ts";
export { renderJson } from "./render/json.ts";
export { renderCsv } from "./render/csv.ts";
export { MARKDOWN_HEADER, renderMarkdown } from "./render/markdown.ts";
export { benchCells } from "./cells.ts";
export type { BenchCellsControl, BenchCellsOptions } from "./cells.ts";
export type {
  BenchCell,
  BenchEnvironment,
  BenchRun,
  BenchSummary,
  ClientUsage,
  Spread,
} from "./cell.ts";
export { renderAbCell, renderCellsJson, renderCellsMarkdown } from "./render/cells.ts";
export { compareReports, regressions } from "./compare.ts";
export type { CellComparison, Comparison, Ratio, Verdict } from "./compare.ts";
export { renderBenchComparison } from "./render/compare.ts";
export { checkAssertions, parseAssertion, renderAssertions } from "./assertions.ts";
export type { Assertion, AssertionOutcome } from "./assertions.ts";
export { MergeError, mergeReports } from "./merge.ts";
export type { MergeInput, MergeOptions } from "./merge.ts";
