/**
 * Percentile bootstrap intervals with a seeded generator, so that the same runs always print the
 * same interval.
 *
 * @module
 */
import { seededRandom } from "./_random.ts";
import { quantileSorted } from "./median.ts";

/** How a bootstrap interval is drawn. */
export interface BootstrapOptions {
  /** Coverage of the interval. @default {0.95} */
  confidence?: number;
  /** Resamples drawn. @default {2000} */
  resamples?: number;
  /** Seed of the generator: the same seed and data give the same interval. @default {1} */
  seed?: number;
}

/** A confidence interval. */
export interface Interval {
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
}

function settings(options: BootstrapOptions): { alpha: number; resamples: number; seed: number } {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Invalid confidence "${confidence}": expected a number between 0 and 1`);
  }
  const resamples = options.resamples ?? 2000;
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new RangeError(`Invalid resamples "${resamples}": expected a whole number of at least 1`);
  }
  return { alpha: 1 - confidence, resamples, seed: options.seed ?? 1 };
}

function resampledMedian(values: readonly number[], random: () => number, scratch: Float64Array) {
  const n = values.length;
  for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(random() * n)]!;
  scratch.sort();
  return quantileSorted(scratch, 0.5);
}

function percentileInterval(stats: Float64Array, alpha: number): Interval {
  stats.sort();
  return { low: quantileSorted(stats, alpha / 2), high: quantileSorted(stats, 1 - alpha / 2) };
}

/**
 * A percentile-bootstrap confidence interval for the median of `values`. One value gives a
 * zero-width interval at that value; none gives NaN bounds.
 */
export function bootstrapMedianCI(
  values: readonly number[],
  options: BootstrapOptions = {},
): Interval {
  const { alpha, resamples, seed } = settings(options);
  if (values.length === 0) return { low: NaN, high: NaN };
  const random = seededRandom(seed);
  const scratch = new Float64Array(values.length);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) stats[r] = resampledMedian(values, random, scratch);
  return percentileInterval(stats, alpha);
}

/**
 * A percentile-bootstrap confidence interval for median(`numerator`) / median(`denominator`), each
 * sample resampled on its own (for "NEW is 0.93x BASE, 95% interval 0.90-0.97").
 */
export function bootstrapRatioCI(
  numerator: readonly number[],
  denominator: readonly number[],
  options: BootstrapOptions = {},
): Interval {
  const { alpha, resamples, seed } = settings(options);
  if (numerator.length === 0 || denominator.length === 0) return { low: NaN, high: NaN };
  const random = seededRandom(seed);
  const a = new Float64Array(numerator.length);
  const b = new Float64Array(denominator.length);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    stats[r] = resampledMedian(numerator, random, a) / resampledMedian(denominator, random, b);
  }
  return percentileInterval(stats, alpha);
}
