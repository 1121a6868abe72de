/**
 * A lab cell's runs: each one timed with the client's own CPU, then summarised as bench's JSON
 * cells are (median req/s with its range and a 95% bootstrap interval).
 *
 * @module
 */
import process from "node:process";
import { bench, type BenchOptions } from "../bench/run.ts";
import type { BenchRun, BenchSummary, ClientUsage, Spread } from "../bench/cell.ts";
import { bootstrapMedianCI, median } from "../stats/mod.ts";

/** Busy this share of the run (per bench thread) and the client, not the server, set the pace. */
export const SATURATED_PERCENT = 90;

/** Seed of every interval: the same runs always give the same report. */
const SEED = 14;

/** CPU time (user + system) of this process so far, ms: the load generator's threads. */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The 1, 5 and 15 minute load averages, or [] where they cannot be read. */
export function loadAverage(): number[] {
  try {
    // /proc first: reading it needs --allow-read only, where Deno.loadavg() needs --allow-sys.
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    try {
      return Deno.loadavg().map((x) => Math.round(x * 100) / 100);
    } catch {
      return [];
    }
  }
}

/** One bench run with when it ran and what the client's CPU did meanwhile. */
export async function timedRun(
  options: BenchOptions,
  control: { signal?: AbortSignal },
): Promise<BenchRun> {
  const startedAt = new Date().toISOString();
  const cpu0 = processCpuMs();
  const wall0 = performance.now();
  const result = await bench(options, control);
  const cpu = processCpuMs() - cpu0;
  const wall = performance.now() - wall0;
  const threads = Math.max(1, result.threads);
  const cpuPercent = wall > 0 ? Math.round((cpu / (wall * threads)) * 1000) / 10 : 0;
  return {
    ...result,
    startedAt,
    endedAt: new Date().toISOString(),
    client: { cpuPercent, saturated: cpuPercent >= SATURATED_PERCENT },
    latencyHistogram: (result as { latencyHistogram?: string }).latencyHistogram ?? "",
  };
}

/** Median, range and 95% interval for the median of `values`. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0, ciLow: 0, ciHigh: 0 };
  const ci = bootstrapMedianCI(values, { confidence: 0.95, resamples: 2000, seed: SEED });
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    ciLow: ci.low,
    ciHigh: ci.high,
  };
}

/** A cell's client usage: its busiest run, saturated when any run was. */
export function cellClient(runs: readonly { client: ClientUsage }[]): ClientUsage {
  const cpu = Math.max(0, ...runs.map((r) => r.client.cpuPercent));
  return { cpuPercent: cpu, saturated: runs.some((r) => r.client.saturated) };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * The runs taken together. Latency percentiles are the median over the runs of each run's
 * percentile (the runs' histograms are not merged here).
 */
export function summarize(runs: readonly BenchRun[]): BenchSummary {
  const statusCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const r of runs) {
    addCounts(statusCodes, r.statusCodes);
    addCounts(errors, r.errors);
  }
  const percentiles: Record<string, number> = {};
  for (const p of Object.keys(runs[0]?.percentiles ?? {})) {
    const values = runs.map((r) => r.percentiles[p]).filter((v): v is number => v !== undefined);
    if (values.length) percentiles[p] = median(values);
  }
  const complete = runs.reduce((n, r) => n + r.complete, 0);
  const meanSum = runs.reduce((n, r) => n + (r.connectionTimes?.total.mean ?? 0) * r.complete, 0);
  return {
    runs: runs.length,
    requestsPerSecond: spreadOf(runs.map((r) => r.requestsPerSecond)),
    complete,
    failed: runs.reduce((n, r) => n + r.failed, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    percentiles,
    meanLatencyMs: complete > 0 ? meanSum / complete : 0,
    latencyHistogram: "",
    statusCodes,
    errors,
  };
}
