import type { BenchRun } from "../bench/cell.ts";
import { type LabCell, type LabModel, type LabResult, MODEL_ORDER } from "./types.ts";

/** A cell's latency percentile in ms, from its runs' merged histograms (NaN when none completed). */
export function percentile(cell: LabCell, p: 50 | 90 | 99): number {
  return cell.summary.percentiles[String(p)] ?? NaN;
}

/** The cells of one model on one route: one table in the report. */
export interface CellGroup {
  route: string;
  model: LabModel;
  reference: boolean;
  cells: LabCell[];
}

/** Groups cells by route (in first-seen order), then model (netlab's, each with its reference). */
export function groupCells(cells: readonly LabCell[]): CellGroup[] {
  const routes = [...new Set(cells.map((c) => c.route))];
  const groups: CellGroup[] = [];
  for (const route of routes) {
    for (const model of MODEL_ORDER) {
      const mine = cells.filter((c) => c.route === route && c.model === model);
      if (mine.length) groups.push({ route, model, reference: mine[0]!.reference, cells: mine });
    }
  }
  return groups;
}

/** The run whose req/s is the cell's median (the lower middle one for an even count). */
export function medianRun(cell: LabCell): BenchRun {
  const sorted = [...cell.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[(sorted.length - 1) >> 1]!;
}

/** One line of the comparison: a model's headline numbers on one route. */
export interface ComparisonRow {
  route: string;
  model: LabModel;
  reference: boolean;
  bestRequestsPerSecond: number;
  bestAtConcurrency: number;
  highestConcurrency: number;
  p99AtHighestMs: number;
  failed: number;
  requests: number;
}

/** Best median req/s, p99 at the highest concurrency and failures, per route and model. */
export function compare(result: LabResult): ComparisonRow[] {
  return groupCells(result.cells).map(({ route, model, reference, cells }) => {
    const rps = (c: LabCell) => c.summary.requestsPerSecond.median;
    const best = cells.reduce((a, b) => (rps(b) > rps(a) ? b : a));
    const highest = cells.reduce((a, b) => (b.concurrency > a.concurrency ? b : a));
    return {
      route,
      model,
      reference,
      bestRequestsPerSecond: rps(best),
      bestAtConcurrency: best.concurrency,
      highestConcurrency: highest.concurrency,
      p99AtHighestMs: percentile(highest, 99),
      failed: cells.reduce((n, c) => n + c.summary.failed, 0),
      // ab counts a Length failure as complete too; every other failure never completed.
      requests: cells.reduce(
        (n, c) => n + c.runs.reduce((m, r) => m + r.complete + r.failed - r.failures.length, 0),
        0,
      ),
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
    `${s.repeat} run${s.repeat === 1 ? "" : "s"} per cell after ${s.warmup} warm-up requests`,
    `${s.requests} requests per run` +
    (s.demoRoutes ? ` (${s.cpuRouteRequests} on the CPU route)` : ""),
    s.keepAlive ? "keep-alive" : "a new connection per request",
    `concurrency ${s.concurrencyLevels.join(", ")}`,
    `finished in ${formatDuration(result.durationMs)}`,
  ].join(" · ");
}
