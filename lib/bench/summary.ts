/**
 * A cell's runs taken together: the median requests per second with its range and a seeded
 * bootstrap interval, and latency percentiles from the runs' histograms merged (never an average
 * of percentiles).
 *
 * @module
 */
import { bootstrapMedianCI, median } from "../stats/mod.ts";
import type { BenchRun, BenchSummary, ClientUsage, Spread } from "./cell.ts";
import { PERCENTILES, type PerUrlResult } from "./result.ts";
import { mergePerUrl } from "./per_url.ts";
import { decodeHistogram, encodeHistogram } from "./_series.ts";

/** Seed of every bootstrap in a report: the same runs always print the same interval. */
export const BOOTSTRAP_SEED = 14;

/** Client CPU above which the load generator counts as the bottleneck, in percent. */
export const SATURATED_PERCENT = 90;

/**
 * Runs shorter than this (ms) are never called saturated: start-up (JIT, connects) dominates
 * their CPU time.
 */
export const SATURATION_MIN_MS = 250;

/**
 * Share of the machine's CPUs above which the load generator counts as the bottleneck: the server
 * under test had less than the rest.
 */
export const SATURATED_MACHINE_PERCENT = 60;

/** What else is known about a run's CPU: the busiest thread's share, the machine's CPUs. */
export interface CpuDetail {
  /** The busiest thread's CPU over wall time, in percent. */
  busiestThreadPercent?: number;
  /** Logical CPUs of the machine. */
  cpus?: number;
}

const percentOf = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;

/** The client usage of one run from its CPU and wall time. */
export function clientUsage(
  cpuMs: number,
  wallMs: number,
  threads: number,
  detail: CpuDetail = {},
): ClientUsage {
  const cpuPercent = percentOf(cpuMs, wallMs * Math.max(1, threads));
  const usage: ClientUsage = { cpuPercent, saturated: false };
  const busiest = detail.busiestThreadPercent;
  if (busiest !== undefined) usage.busiestThreadPercent = busiest;
  if (detail.cpus !== undefined) usage.machinePercent = percentOf(cpuMs, wallMs * detail.cpus);
  if (wallMs < SATURATION_MIN_MS) return usage;
  let limit: string | null = null;
  if (cpuPercent >= SATURATED_PERCENT) limit = `its threads were ${cpuPercent.toFixed(0)}% busy`;
  else if (busiest !== undefined && busiest >= SATURATED_PERCENT) {
    limit = `its busiest thread was ${busiest.toFixed(0)}% busy`;
  } else if ((usage.machinePercent ?? 0) >= SATURATED_MACHINE_PERCENT) {
    limit = `it took ${usage.machinePercent!.toFixed(0)}% of the machine's ${detail.cpus} CPUs`;
  }
  if (limit !== null) {
    usage.saturated = true;
    usage.limit = limit;
  }
  return usage;
}

/** Median, range and 95% interval for the median of `values`. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0, ciLow: 0, ciHigh: 0 };
  const ci = bootstrapMedianCI(values, { confidence: 0.95, resamples: 2000, seed: BOOTSTRAP_SEED });
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    ciLow: ci.low,
    ciHigh: ci.high,
  };
}

/** The client usage of a cell: its busiest run, saturated when any run was. */
export function cellClient(runs: readonly { client: ClientUsage }[]): ClientUsage {
  const cpu = Math.max(0, ...runs.map((r) => r.client.cpuPercent));
  const usage: ClientUsage = { cpuPercent: cpu, saturated: runs.some((r) => r.client.saturated) };
  const limit = runs.find((r) => r.client.limit !== undefined)?.client.limit;
  if (limit !== undefined) usage.limit = limit;
  const busiest = runs.map((r) => r.client.busiestThreadPercent).filter((x) => x !== undefined);
  if (busiest.length > 0) usage.busiestThreadPercent = Math.max(...busiest);
  const machine = runs.map((r) => r.client.machinePercent).filter((x) => x !== undefined);
  if (machine.length > 0) usage.machinePercent = Math.max(...machine);
  return usage;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Sums the runs' counters and merges their histograms. */
export function summarize(runs: readonly BenchRun[]): BenchSummary {
  const merged = decodeHistogram("");
  const statusCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let complete = 0;
  let failed = 0;
  let non2xx = 0;
  let latencySum = 0;
  let maxMs = 0;
  for (const r of runs) {
    merged.add(decodeHistogram(r.latencyHistogram));
    complete += r.complete;
    failed += r.failed;
    non2xx += r.non2xx;
    latencySum += (r.connectionTimes?.total.mean ?? 0) * r.complete;
    maxMs = Math.max(maxMs, r.percentiles["100"] ?? 0);
    addCounts(statusCodes, r.statusCodes);
    addCounts(errors, r.errors);
  }
  const percentiles: Record<string, number> = {};
  if (merged.totalCount > 0) {
    for (const p of PERCENTILES) {
      percentiles[String(p)] = p === 100 ? maxMs : merged.getValueAtPercentile(p) / 1000;
    }
  }
  return {
    runs: runs.length,
    requestsPerSecond: spreadOf(runs.map((r) => r.requestsPerSecond)),
    complete,
    failed,
    non2xx,
    percentiles,
    meanLatencyMs: complete > 0 ? latencySum / complete : 0,
    latencyHistogram: encodeHistogram(merged),
    statusCodes,
    errors,
    ...perUrlOf(runs),
  };
}

function perUrlOf(runs: readonly BenchRun[]): { perUrl?: PerUrlResult[] } {
  const seconds = runs.reduce((t, r) => t + r.timeTakenSeconds, 0);
  const perUrl = mergePerUrl(runs.map((r) => r.perUrl), seconds);
  return perUrl === undefined ? {} : { perUrl };
}
