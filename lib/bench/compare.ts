/**
 * `netlab bench compare`: pairs the cells of two reports by URL (or name) and concurrency and says,
 * per pair, whether NEW is faster, slower or not significantly different from BASE.
 *
 * With enough runs on each side for a rank test to reach p < 0.05 (3 against 3 cannot: its smallest
 * p is 0.1), the verdict is a Mann-Whitney U test over the runs' requests per second. With fewer, it
 * compares the latency distributions of the merged histograms (a Mann-Whitney test over every
 * request's time) and, because requests of one run are not independent samples, also asks the
 * medians to differ by at least `LATENCY_NOISE_PERCENT` and, with two or more runs a side, the
 * runs' medians not to overlap.
 *
 * @module
 */
import {
  bootstrapRatioCI,
  type Interval,
  mannWhitneyMinP,
  mannWhitneyU,
  mannWhitneyUCounts,
  median,
} from "../stats/mod.ts";
import type { BenchCell } from "./cell.ts";
import { BOOTSTRAP_SEED } from "./summary.ts";
import { histogramBuckets } from "./_series.ts";

/** Significance level of every verdict. */
export const ALPHA = 0.05;

/** On the histogram route, medians closer than this (percent) are never called different. */
export const LATENCY_NOISE_PERCENT = 5;

/** The verdict for one cell. */
export type Verdict = "faster" | "slower" | "no significant difference";

/** NEW / BASE for one figure, with an interval where the runs allow one. */
export interface Ratio {
  base: number;
  next: number;
  /** next / base. */
  ratio: number;
  /** 95% bootstrap interval of the ratio (over runs), or null with a single run on a side. */
  interval: Interval | null;
}

/** One paired cell. */
export interface CellComparison {
  /** The pairing key: name or URL, and concurrency. */
  key: string;
  url: string;
  concurrency: number;
  requestsPerSecond: Ratio;
  p50: Ratio;
  p99: Ratio;
  /** Which test decided: "runs" (Mann-Whitney over req/s) or "latency" (over the histograms). */
  method: "runs" | "latency";
  /** The test's two-sided p-value. */
  p: number;
  verdict: Verdict;
  /**
   * How much slower NEW is, in percent of BASE's speed (0 when not slower): 1 - the req/s ratio
   * on the runs route, 1 - 1 / the median latency ratio on the latency route (twice the latency
   * is 50% slower).
   */
  slowdownPercent: number;
}

/** The whole comparison. */
export interface Comparison {
  cells: CellComparison[];
  /** Keys present in only one of the files. */
  onlyInBase: string[];
  onlyInNew: string[];
}

/** How cells are paired: the name when both have one, else the URL, and the concurrency. */
export function cellKey(cell: BenchCell): string {
  return `${cell.name ?? cell.url} c=${cell.concurrency}`;
}

function ratio(base: number[], next: number[], pooledBase: number, pooledNext: number): Ratio {
  const interval = base.length > 1 && next.length > 1
    ? bootstrapRatioCI(next, base, { seed: BOOTSTRAP_SEED })
    : null;
  return {
    base: pooledBase,
    next: pooledNext,
    ratio: pooledBase > 0 ? pooledNext / pooledBase : NaN,
    interval,
  };
}

/**
 * With two or more runs a side, the run-to-run spread is the noise that one histogram cannot show:
 * the runs' medians must not overlap (every NEW run above every BASE run, or below). Two labs of the
 * same servers on a busy machine otherwise come out different at p < 1e-9, since a histogram test
 * takes every request of a run as an independent sample. With one run on a side there is no spread
 * to go by, and the histogram test and the noise floor decide alone.
 */
function apart(base: number[], next: number[], higher: boolean): boolean {
  if (base.length < 2 || next.length < 2) return true;
  return higher ? Math.min(...next) > Math.max(...base) : Math.max(...next) < Math.min(...base);
}

/** Compares one pair of cells. */
export function compareCells(base: BenchCell, next: BenchCell): CellComparison {
  const rpsBase = base.runs.map((r) => r.requestsPerSecond);
  const rpsNext = next.runs.map((r) => r.requestsPerSecond);
  const pct = (c: BenchCell, p: string) => c.summary.percentiles[p] ?? 0;
  const runPct = (c: BenchCell, p: string) => c.runs.map((r) => r.percentiles[p] ?? 0);
  const rps = ratio(rpsBase, rpsNext, median(rpsBase), median(rpsNext));
  const p50 = ratio(runPct(base, "50"), runPct(next, "50"), pct(base, "50"), pct(next, "50"));
  const p99 = ratio(runPct(base, "99"), runPct(next, "99"), pct(base, "99"), pct(next, "99"));
  let method: CellComparison["method"];
  let p: number;
  let verdict: Verdict = "no significant difference";
  let slowdown = 0;
  if (mannWhitneyMinP(rpsBase.length, rpsNext.length) < ALPHA) {
    method = "runs";
    p = mannWhitneyU(rpsNext, rpsBase).p;
    if (p < ALPHA) verdict = rps.ratio > 1 ? "faster" : "slower";
    if (verdict === "slower") slowdown = (1 - rps.ratio) * 100;
  } else {
    method = "latency";
    p = mannWhitneyUCounts(
      histogramBuckets(next.summary.latencyHistogram ?? ""),
      histogramBuckets(base.summary.latencyHistogram ?? ""),
    ).p;
    const change = (p50.ratio - 1) * 100;
    if (
      p < ALPHA && Math.abs(change) >= LATENCY_NOISE_PERCENT &&
      apart(runPct(base, "50"), runPct(next, "50"), change > 0)
    ) {
      verdict = change > 0 ? "slower" : "faster";
    }
    // As a share of throughput, so that both routes read alike: twice the latency is 50% slower.
    if (verdict === "slower") slowdown = (1 - 1 / p50.ratio) * 100;
  }
  const key = cellKey(base) === cellKey(next)
    ? cellKey(base)
    : `${base.name ?? base.url} vs ${next.name ?? next.url} c=${next.concurrency}`;
  return {
    key,
    url: next.url,
    concurrency: next.concurrency,
    requestsPerSecond: rps,
    p50,
    p99,
    method,
    p,
    verdict,
    slowdownPercent: slowdown,
  };
}

const pathOf = (cell: BenchCell) => {
  try {
    const u = new URL(cell.url);
    return `${u.pathname}${u.search}`;
  } catch {
    return cell.url;
  }
};

/**
 * Pairs cells: first by name (or URL) and concurrency; cells left over by path and concurrency
 * when that is unambiguous on both sides (the same page on two servers); and when each side has
 * one URL left, by concurrency alone (two servers compared).
 */
export function pairCells(base: BenchCell[], next: BenchCell[]): Array<[BenchCell, BenchCell]> {
  const pairs: Array<[BenchCell, BenchCell]> = [];
  let leftBase = [...base];
  let leftNext = [...next];
  const pairBy = (key: (c: BenchCell) => string) => {
    const count = (list: BenchCell[]) => {
      const m = new Map<string, number>();
      for (const c of list) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
      return m;
    };
    const nb = count(leftBase);
    const nn = count(leftNext);
    const taken = new Set<BenchCell>();
    for (const b of leftBase) {
      const k = key(b);
      if (nb.get(k) !== 1 || nn.get(k) !== 1) continue;
      const n = leftNext.find((c) => key(c) === k)!;
      pairs.push([b, n]);
      taken.add(b).add(n);
    }
    leftBase = leftBase.filter((c) => !taken.has(c));
    leftNext = leftNext.filter((c) => !taken.has(c));
  };
  pairBy(cellKey);
  pairBy((c) => `${pathOf(c)} c=${c.concurrency}`);
  const urls = (list: BenchCell[]) => new Set(list.map((c) => c.name ?? c.url)).size;
  if (urls(leftBase) === 1 && urls(leftNext) === 1) pairBy((c) => `c=${c.concurrency}`);
  const order = new Map(base.map((c, i) => [c, i]));
  return pairs.sort((a, b) => order.get(a[0])! - order.get(b[0])!);
}

/** Pairs the cells of two reports (see `pairCells`) and compares each pair, in BASE's order. */
export function compareReports(base: BenchCell[], next: BenchCell[]): Comparison {
  const pairs = pairCells(base, next);
  const paired = new Set(pairs.flat());
  return {
    cells: pairs.map(([b, n]) => compareCells(b, n)),
    onlyInBase: base.filter((c) => !paired.has(c)).map(cellKey),
    onlyInNew: next.filter((c) => !paired.has(c)).map(cellKey),
  };
}

/** Cells significantly slower by more than `percent`. */
export function regressions(comparison: Comparison, percent: number): CellComparison[] {
  return comparison.cells.filter((c) => c.verdict === "slower" && c.slowdownPercent > percent);
}

/**
 * Reads a report back: `netlab bench --format json` (an array of cells) or a lab's results.json
 * (an object with a `cells` array). Returns null when `data` is neither.
 */
export function cellsOf(data: unknown): BenchCell[] | null {
  const list = Array.isArray(data) ? data : (typeof data === "object" && data !== null &&
      Array.isArray((data as { cells?: unknown }).cells)
    ? (data as { cells: unknown[] }).cells
    : null);
  if (list === null) return null;
  const ok = list.every((c) =>
    typeof c === "object" && c !== null && typeof c.url === "string" &&
    typeof c.concurrency === "number" && Array.isArray(c.runs) &&
    typeof c.summary === "object" && c.summary !== null
  );
  return ok ? list as BenchCell[] : null;
}
