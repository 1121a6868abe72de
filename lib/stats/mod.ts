/**
 * Statistics for honest benchmark numbers: medians, seeded bootstrap intervals and the
 * Mann-Whitney U test. Pure functions over plain arrays; the same input always gives the same
 * output.
 *
 * @example
 * ```ts
 * import { bootstrapMedianCI, mannWhitneyU, median } from "@netlab/netlab/stats";
 *
 * const base = [1010, 990, 1005, 998, 1002];
 * const next = [900, 910, 905, 899, 912];
 * median(base); // 1002
 * bootstrapMedianCI(base, { confidence: 0.95, resamples: 2000, seed: 1 }); // { low, high }
 * mannWhitneyU(next, base).p < 0.05; // true: next is lower
 * ```
 *
 * @module
 */
export { median, quantile, quantileSorted } from "./median.ts";
export { bootstrapMedianCI, bootstrapRatioCI } from "./bootstrap.ts";
export type { BootstrapOptions, Interval } from "./bootstrap.ts";
export { mannWhitneyMinP, mannWhitneyU, mannWhitneyUCounts } from "./mann_whitney.ts";
export type { MannWhitneyResult } from "./mann_whitney.ts";
export { seededRandom } from "./_random.ts";
