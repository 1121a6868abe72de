/**
 * One run from runs made at the same time on several shards (the j-th run of each): counts and
 * bytes added, histograms merged, timing statistics recombined from their sums, ab's rates
 * computed again over the whole load's span.
 *
 * @module
 */
import type { BenchRun } from "./cell.ts";
import { decodeHistogram, encodeHistogram } from "./_series.ts";
import { PERCENTILES, type TimingHistograms, type TimingStats } from "./result.ts";
import { cellClient } from "./summary.ts";
import { mergePerUrl } from "./per_url.ts";
import type { PerUrlResult, TimelinePoint, TlsResult } from "./result.ts";
import { addTimelines } from "./_timeline.ts";
import { mergeTls } from "./_tls_tally.ts";

/** The sum of `xs`. */
export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

function addCounts(records: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Merges encoded histograms into one. */
function mergeHistograms(encoded: readonly string[]) {
  const h = decodeHistogram("");
  for (const e of encoded) if (e !== "") h.add(decodeHistogram(e));
  return h;
}

/**
 * Adds timing statistics of runs: min and max exactly, mean and standard deviation from each run's
 * count, mean and deviation (the sums they came from), median from the merged histogram.
 */
function mergeTimings(
  parts: ReadonlyArray<{ n: number; stats: TimingStats }>,
  histogram: string,
): TimingStats {
  const n = sum(parts.map((p) => p.n));
  const total = sum(parts.map((p) => p.stats.mean * p.n));
  const squares = sum(parts.map((p) => p.stats.sd ** 2 * (p.n - 1) + p.n * p.stats.mean ** 2));
  const mean = total / n;
  const variance = n > 1 ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : 0;
  const h = decodeHistogram(histogram);
  return {
    min: Math.min(...parts.map((p) => p.stats.min)),
    mean,
    sd: Math.sqrt(variance),
    // reports written before runs carried timingHistograms: the count-weighted mean of medians,
    // the one figure here that is an approximation
    median: h.totalCount > 0
      ? h.getValueAtPercentile(50) / 1000
      : sum(parts.map((p) => p.stats.median * p.n)) / n,
    max: Math.max(...parts.map((p) => p.stats.max)),
  };
}

type TimingKey = "connect" | "processing" | "waiting" | "total";

/**
 * When a run's load began, Unix ms: its end less its time taken. Its `startedAt` is earlier by the
 * time its threads took to start (tens of ms), which is not load and would lower the throughput.
 */
export function loadStart(run: BenchRun): number {
  const end = Date.parse(run.endedAt);
  return Math.max(Date.parse(run.startedAt), end - run.timeTakenSeconds * 1000);
}

/** Adds runs made at the same time (the j-th run of each shard) into one run. */
export function mergeRuns(runs: readonly BenchRun[]): BenchRun {
  const a = runs[0]!;
  const start = Math.min(...runs.map(loadStart));
  const end = Math.max(...runs.map((r) => Date.parse(r.endedAt)));
  const seconds = (end - start) / 1000;
  const concurrency = sum(runs.map((r) => r.concurrency));
  const rates = runs.map((r) => r.rate);
  const rate = rates.every((r) => r !== null) ? sum(rates as number[]) : null;
  const latency = mergeHistograms(runs.map((r) => r.latencyHistogram));
  const { timing, connectionTimes } = mergedTimings(runs, latency);
  const counts = mergedCounts(runs);
  const totals = mergedTotals(runs, counts);
  return {
    url: a.url,
    hostname: a.hostname,
    port: a.port,
    path: a.path,
    method: a.method,
    engine: a.engine,
    concurrency,
    threads: sum(runs.map((r) => r.threads)),
    keepAliveRequested: a.keepAliveRequested,
    rate,
    serverSoftware: runs.find((r) => r.serverSoftware !== "")?.serverSoftware ?? "",
    documentLength: runs.find((r) => r.documentLength !== null)?.documentLength ?? null,
    timeTakenSeconds: seconds,
    ...totals,
    ...mergedRates(totals, seconds, concurrency, rate, connectionTimes?.total ?? null),
    connectionTimes,
    percentiles: mergedPercentiles(runs, latency),
    statusCodes: counts.statusCodes,
    errors: counts.errors,
    interrupted: runs.some((r) => r.interrupted),
    timedOut: runs.some((r) => r.timedOut),
    latencyHistogram: encodeHistogram(latency),
    timingHistograms: timing,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    client: cellClient(runs),
    ...perUrlOf(runs, seconds),
    ...timelineOf(runs),
    ...tlsOf(runs),
  };
}

type Totals = Pick<
  BenchRun,
  | "complete"
  | "failed"
  | "failures"
  | "non2xx"
  | "keepAliveRequests"
  | "totalTransferred"
  | "totalTransferredExact"
  | "htmlTransferred"
  | "totalBodySent"
>;

/** The runs' request and byte counts, added up. */
function mergedTotals(
  runs: readonly BenchRun[],
  counts: { failures: BenchRun["failures"] },
): Totals {
  return {
    complete: sum(runs.map((r) => r.complete)),
    failed: sum(runs.map((r) => r.failed)),
    failures: counts.failures,
    non2xx: sum(runs.map((r) => r.non2xx)),
    keepAliveRequests: sum(runs.map((r) => r.keepAliveRequests)),
    totalTransferred: sum(runs.map((r) => r.totalTransferred)),
    totalTransferredExact: runs.every((r) => r.totalTransferredExact),
    htmlTransferred: sum(runs.map((r) => r.htmlTransferred)),
    totalBodySent: sum(runs.map((r) => r.totalBodySent)),
  };
}

/** ab's rates of the merged run, as the recorder computes them (0 when nothing completed). */
function mergedRates(
  totals: Totals,
  seconds: number,
  concurrency: number,
  rate: number | null,
  total: TimingStats | null,
): Pick<
  BenchRun,
  "requestsPerSecond" | "timePerRequestMs" | "timePerRequestAllMs" | "transferRateKBps"
> {
  const complete = totals.complete;
  const ok = (x: number) => (seconds > 0 && complete > 0 ? x : 0);
  return {
    requestsPerSecond: ok(complete / seconds),
    // as the recorder: the closed model's formula, or in the open model the real mean
    timePerRequestMs: ok(
      rate === null ? (concurrency * seconds * 1000) / complete : total?.mean ?? 0,
    ),
    timePerRequestAllMs: ok((seconds * 1000) / complete),
    transferRateKBps: ok(totals.totalTransferred / 1024 / seconds),
  };
}

/** The runs' phase histograms added up, and ab's connection-times table from them. */
function mergedTimings(
  runs: readonly BenchRun[],
  latency: ReturnType<typeof mergeHistograms>,
): { timing: TimingHistograms; connectionTimes: BenchRun["connectionTimes"] } {
  const phase = (key: keyof TimingHistograms) =>
    encodeHistogram(mergeHistograms(runs.map((r) => r.timingHistograms?.[key] ?? "")));
  const timing: TimingHistograms = {
    connect: phase("connect"),
    processing: phase("processing"),
    waiting: phase("waiting"),
  };
  const measured = runs.filter((r) => r.connectionTimes !== null && r.complete > 0);
  const times = (key: TimingKey, histogram: string): TimingStats | null => {
    const parts = measured.map((r) => ({ n: r.complete, stats: r.connectionTimes![key] }));
    if (parts.length === 0 || parts.some((p) => p.stats === null)) return null;
    return mergeTimings(parts as Array<{ n: number; stats: TimingStats }>, histogram);
  };
  const total = times("total", encodeHistogram(latency));
  const connectionTimes = total === null ? null : {
    connect: times("connect", timing.connect),
    processing: times("processing", timing.processing),
    waiting: times("waiting", timing.waiting)!,
    total,
  };
  return { timing, connectionTimes };
}

function mergedPercentiles(
  runs: readonly BenchRun[],
  latency: ReturnType<typeof mergeHistograms>,
): Record<string, number> {
  const percentiles: Record<string, number> = {};
  if (latency.totalCount === 0) return percentiles;
  for (const p of PERCENTILES) {
    percentiles[String(p)] = p === 100
      ? Math.max(...runs.map((r) => r.percentiles["100"] ?? 0))
      : latency.getValueAtPercentile(p) / 1000;
  }
  return percentiles;
}

/** Status codes (by code), errors (most frequent first) and failures, added up. */
function mergedCounts(
  runs: readonly BenchRun[],
): Pick<BenchRun, "statusCodes" | "errors" | "failures"> {
  const statusCodes = Object.fromEntries(
    Object.entries(addCounts(runs.map((r) => r.statusCodes))).sort((x, y) =>
      Number(x[0]) - Number(y[0])
    ),
  );
  const errors = Object.fromEntries(
    Object.entries(addCounts(runs.map((r) => r.errors))).sort((x, y) => y[1] - x[1]),
  );
  const failures = {
    connect: sum(runs.map((r) => r.failures.connect)),
    receive: sum(runs.map((r) => r.failures.receive)),
    length: sum(runs.map((r) => r.failures.length)),
    exceptions: sum(runs.map((r) => r.failures.exceptions)),
  };
  return { statusCodes, errors, failures };
}

/** Shards' TLS handshakes added up. */
function tlsOf(runs: readonly BenchRun[]): { tls?: TlsResult } {
  const tls = mergeTls(runs.map((r) => r.tls));
  return tls === undefined ? {} : { tls };
}

/** Shards' timelines added second by second (see `addTimelines`). */
function timelineOf(runs: readonly BenchRun[]): { timeline?: TimelinePoint[] } {
  const timeline = addTimelines(runs.map((r) => r.timeline));
  return timeline === undefined ? {} : { timeline };
}

/** Shards of a many-requests run: each line added across them. */
function perUrlOf(runs: readonly BenchRun[], seconds: number): { perUrl?: PerUrlResult[] } {
  const perUrl = mergePerUrl(runs.map((r) => r.perUrl), seconds);
  return perUrl === undefined ? {} : { perUrl };
}
