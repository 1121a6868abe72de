import type { BenchResult } from "../bench/result.ts";
import type { LabModel, LabResult, LabRun } from "./types.ts";

/** A latency percentile of a run in ms (NaN when no request completed). */
export function percentile(result: BenchResult, p: 50 | 90 | 99): number {
  return result.percentiles[String(p)] ?? NaN;
}

/** The runs of one model on one route: one table in the report. */
export interface RunGroup {
  route: string;
  model: LabModel;
  runs: LabRun[];
}

const MODEL_ORDER: LabModel[] = ["async", "pool", "balancer"];

/** Groups runs by route (in first-seen order), then model (async, pool, balancer). */
export function groupRuns(runs: LabRun[]): RunGroup[] {
  const routes = [...new Set(runs.map((r) => r.route))];
  const groups: RunGroup[] = [];
  for (const route of routes) {
    for (const model of MODEL_ORDER) {
      const mine = runs.filter((r) => r.route === route && r.model === model);
      if (mine.length) groups.push({ route, model, runs: mine });
    }
  }
  return groups;
}

/** One line of the comparison: a model's headline numbers on one route. */
export interface ComparisonRow {
  route: string;
  model: LabModel;
  bestRequestsPerSecond: number;
  bestAtConcurrency: number;
  highestConcurrency: number;
  p99AtHighestMs: number;
  failed: number;
  requests: number;
}

/** Best req/s, p99 at the highest concurrency and failures, per route and model. */
export function compare(result: LabResult): ComparisonRow[] {
  return groupRuns(result.runs).map(({ route, model, runs }) => {
    const results = runs.map((r) => r.result);
    const best = results.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const highest = results.reduce((a, b) => (b.concurrency > a.concurrency ? b : a));
    return {
      route,
      model,
      bestRequestsPerSecond: best.requestsPerSecond,
      bestAtConcurrency: best.concurrency,
      highestConcurrency: highest.concurrency,
      p99AtHighestMs: percentile(highest, 99),
      failed: results.reduce((n, r) => n + r.failed, 0),
      // ab counts a Length failure as complete too; every other failure is a request that never completed.
      requests: results.reduce((n, r) => n + r.complete + r.failed - r.failures.length, 0),
    };
  });
}

/** "1.5 s", "850 ms" */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One sentence of what the lab ran with, shared by both reports. */
export function describeSettings(result: LabResult): string {
  const s = result.settings;
  const env = result.environment;
  return [
    `netlab ${result.version}`,
    `Deno ${env.deno}`,
    `${env.os}, ${env.cpus} CPUs`,
    `${s.requests} requests per run`,
    s.keepAlive ? "keep-alive" : "a new connection per request",
    `${s.engine} engine`,
    `concurrency ${s.concurrencyLevels.join(", ")}`,
    `pool of ${s.workers} workers`,
    `finished in ${formatDuration(result.durationMs)}`,
  ].join(" · ");
}
