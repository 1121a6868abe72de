/**
 * The Mann-Whitney U test (Wilcoxon rank-sum): is one sample stochastically larger than the other?
 * Exact p-values for small samples without ties (where a normal approximation is far off: 3 runs
 * against 3 can never reach p < 0.1), the normal approximation with tie and continuity corrections
 * otherwise. A weighted form takes (value, count) pairs, such as the buckets of two latency
 * histograms with millions of samples.
 *
 * @module
 */

/** The outcome of a Mann-Whitney U test. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, plus half the ties. */
  u: number;
  /** Two-sided p-value. */
  p: number;
}

/** Samples up to this total size without ties get the exact distribution of U. */
const EXACT_LIMIT = 40;

/**
 * The smallest two-sided p-value a Mann-Whitney test of n1 against n2 values can give (every value
 * of one above every value of the other): 2 / C(n1 + n2, n1).
 */
export function mannWhitneyMinP(n1: number, n2: number): number {
  if (n1 < 1 || n2 < 1) return 1;
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

/** Two-sided Mann-Whitney U test of plain samples. Empty samples give u 0 and p 1. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const counts = (xs: readonly number[]) => {
    const m = new Map<number, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const ca = counts(a);
  const cb = counts(b);
  const ties = ca.size < a.length || cb.size < b.length || [...ca.keys()].some((k) => cb.has(k));
  if (!ties && a.length + b.length <= EXACT_LIMIT && a.length > 0 && b.length > 0) {
    const u = rankSumU(ca, cb).u;
    return { u, p: exactP(u, a.length, b.length) };
  }
  return mannWhitneyUCounts(ca, cb);
}

/**
 * Two-sided Mann-Whitney U test of weighted samples: each entry is a value and how many times it
 * occurs (histogram buckets). Uses the normal approximation with tie correction.
 */
export function mannWhitneyUCounts(
  a: Iterable<readonly [number, number]>,
  b: Iterable<readonly [number, number]>,
): MannWhitneyResult {
  const { u, n1, n2, tieTerm } = rankSumU(a, b);
  if (n1 === 0 || n2 === 0) return { u, p: 1 };
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, p: 1 };
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * normalUpperTail(z)) };
}

/** U of the first sample, the sizes and the tie term Σ(t³ - t), by merging counted values. */
function rankSumU(a: Iterable<readonly [number, number]>, b: Iterable<readonly [number, number]>) {
  const merged = new Map<number, [number, number]>();
  for (const [v, c] of a) if (c > 0) (merged.get(v) ?? set(merged, v))[0] += c;
  for (const [v, c] of b) if (c > 0) (merged.get(v) ?? set(merged, v))[1] += c;
  const values = [...merged.keys()].sort((x, y) => x - y);
  let below = 0;
  let rankSum = 0;
  let n1 = 0;
  let n2 = 0;
  let tieTerm = 0;
  for (const v of values) {
    const [ca, cb] = merged.get(v)!;
    const t = ca + cb;
    rankSum += ca * (below + (t + 1) / 2);
    below += t;
    n1 += ca;
    n2 += cb;
    tieTerm += t * t * t - t;
  }
  return { u: rankSum - (n1 * (n1 + 1)) / 2, n1, n2, tieTerm };
}

function set(m: Map<number, [number, number]>, v: number): [number, number] {
  const pair: [number, number] = [0, 0];
  m.set(v, pair);
  return pair;
}

/** Exact two-sided p of U = u for sizes n1, n2 without ties, from the counts of every U. */
function exactP(u: number, n1: number, n2: number): number {
  const max = n1 * n2;
  // f[j][k]: arrangements of i values of the first sample and j of the second with U = k,
  // built up over i (the classic recurrence f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k)).
  let prev: Float64Array[] = Array.from({ length: n2 + 1 }, () => {
    const row = new Float64Array(max + 1);
    row[0] = 1;
    return row;
  });
  for (let i = 1; i <= n1; i++) {
    const cur: Float64Array[] = [];
    for (let j = 0; j <= n2; j++) {
      const row = new Float64Array(max + 1);
      for (let k = 0; k <= i * j; k++) {
        row[k] = (k >= j ? prev[j]![k - j]! : 0) + (j > 0 ? cur[j - 1]![k]! : 0);
      }
      cur.push(row);
    }
    prev = cur;
  }
  const dist = prev[n2]!;
  let total = 0;
  let atMost = 0;
  let atLeast = 0;
  for (let k = 0; k <= max; k++) {
    const f = dist[k]!;
    total += f;
    if (k <= u) atMost += f;
    if (k >= u) atLeast += f;
  }
  return Math.min(1, (2 * Math.min(atMost, atLeast)) / total);
}

/** P(Z > z) for a standard normal Z (erfc by Numerical Recipes' Chebyshev fit, error < 1.2e-7). */
function normalUpperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const erfc = t * Math.exp(
    -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return (x >= 0 ? erfc : 2 - erfc) / 2;
}
