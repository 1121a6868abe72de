/**
 * The check every shard test makes: percentiles of one histogram fed every shard's samples, built
 * by replaying each shard's recorded (value, count) buckets rather than with the histogram `add()`
 * that `bench merge` uses.
 *
 * @module
 */
import { emptyHistogram, histogramBuckets } from "../../lib/bench/_series.ts";
import { PERCENTILES } from "../../lib/bench/result.ts";

/**
 * Percentiles in ms ("50" ... "99.99"; "100" is the largest exact maximum given) of every sample of
 * the encoded histograms.
 */
export function percentilesOfAll(
  histograms: readonly string[],
  maxima: readonly number[],
): Record<string, number> {
  const all = emptyHistogram();
  for (const h of histograms) {
    for (const [value, count] of histogramBuckets(h)) all.recordValueWithCount(value, count);
  }
  const out: Record<string, number> = {};
  for (const p of PERCENTILES) {
    out[String(p)] = p === 100 ? Math.max(...maxima) : all.getValueAtPercentile(p) / 1000;
  }
  return out;
}
