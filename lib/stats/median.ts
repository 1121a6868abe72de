/**
 * Medians and quantiles of plain samples.
 *
 * @module
 */

/**
 * The q-quantile of values already sorted ascending, interpolated between the two nearest ranks
 * (R's default, type 7). NaN for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(n - 1, lo + 1)]!;
  return a + (h - lo) * (b - a);
}

/** The q-quantile (0..1) of values in any order; NaN for an empty array. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/** The median of values in any order (the mean of the middle two for an even count); NaN if empty. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
