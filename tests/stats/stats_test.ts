import assert from "node:assert/strict";
import {
  bootstrapMedianCI,
  bootstrapRatioCI,
  mannWhitneyMinP,
  mannWhitneyU,
  mannWhitneyUCounts,
  median,
  quantile,
  seededRandom,
} from "../../lib/stats/mod.ts";

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

Deno.test("median() takes the middle value, or the mean of the middle two", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("quantile() interpolates between ranks as R's type 7", () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0), 1);
  assert.equal(quantile([1, 2, 3, 4, 5], 1), 5);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
});

Deno.test("seededRandom() repeats its sequence for the same seed and stays in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  close(xs.reduce((s, x) => s + x, 0) / xs.length, 0.5, 0.05);
});

Deno.test("bootstrapMedianCI() is reproducible and holds the sample median", () => {
  const values = [980, 1010, 995, 1003, 1020, 990, 1001];
  const first = bootstrapMedianCI(values, { confidence: 0.95, resamples: 2000, seed: 7 });
  assert.deepEqual(
    bootstrapMedianCI(values, { confidence: 0.95, resamples: 2000, seed: 7 }),
    first,
  );
  assert.ok(first.low <= median(values) && median(values) <= first.high);
  assert.ok(first.low >= 980 && first.high <= 1020);
  assert.ok(first.low < first.high);
});

Deno.test("bootstrapMedianCI() narrows as confidence drops and is flat for constant data", () => {
  const random = seededRandom(3);
  const values = Array.from({ length: 40 }, () => 100 + random() * 20);
  const wide = bootstrapMedianCI(values, { confidence: 0.99 });
  const narrow = bootstrapMedianCI(values, { confidence: 0.5 });
  assert.ok(wide.high - wide.low > narrow.high - narrow.low);
  assert.deepEqual(bootstrapMedianCI([5, 5, 5]), { low: 5, high: 5 });
  assert.deepEqual(bootstrapMedianCI([5]), { low: 5, high: 5 });
  assert.ok(Number.isNaN(bootstrapMedianCI([]).low));
  assert.throws(() => bootstrapMedianCI([1], { confidence: 1 }), RangeError);
  assert.throws(() => bootstrapMedianCI([1], { resamples: 0 }), RangeError);
});

Deno.test("bootstrapMedianCI() covers the true median of a known distribution most times", () => {
  // 200 samples of 15 uniform(0, 1) values: a 95% interval should miss the true median 0.5 rarely.
  const random = seededRandom(11);
  let covered = 0;
  for (let trial = 0; trial < 200; trial++) {
    const values = Array.from({ length: 15 }, () => random());
    const ci = bootstrapMedianCI(values, { resamples: 500, seed: trial });
    if (ci.low <= 0.5 && 0.5 <= ci.high) covered++;
  }
  assert.ok(covered >= 170, `covered ${covered} of 200`);
});

Deno.test("bootstrapRatioCI() brackets the ratio of medians", () => {
  const base = [1000, 1010, 990, 1005, 995];
  const next = [500, 505, 495, 502, 498];
  const ci = bootstrapRatioCI(next, base, { seed: 1 });
  assert.ok(ci.low <= 0.5 && 0.5 <= ci.high + 1e-9, JSON.stringify(ci));
  assert.ok(ci.low > 0.45 && ci.high < 0.55);
  assert.deepEqual(bootstrapRatioCI([2], [1]), { low: 2, high: 2 });
});

Deno.test("mannWhitneyU() gives scipy's exact p-values for small samples", () => {
  // scipy.stats.mannwhitneyu documentation example.
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];
  const r = mannWhitneyU(males, females);
  assert.equal(r.u, 17);
  close(r.p, 0.1111111111111111);
  assert.deepEqual(mannWhitneyU([1, 2, 3], [4, 5, 6]), { u: 0, p: 0.1 });
  close(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p, 2 / 252);
  assert.equal(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).u, 25);
});

Deno.test("mannWhitneyU() finds no difference between a sample and itself", () => {
  const xs = [10, 12, 11, 13, 9];
  const r = mannWhitneyU(xs, xs);
  assert.equal(r.u, 12.5);
  assert.equal(r.p, 1);
  assert.deepEqual(mannWhitneyU([], [1, 2]), { u: 0, p: 1 });
});

Deno.test("mannWhitneyU() uses the normal approximation with ties, as scipy's asymptotic", () => {
  const r = mannWhitneyUCounts(
    [19, 22, 16, 29, 24].map((v) => [v, 1] as const),
    [20, 11, 17, 12].map((v) => [v, 1] as const),
  );
  assert.equal(r.u, 17);
  close(r.p, 0.11134688653314041, 1e-6);
  // Ties: scipy.stats.mannwhitneyu([1, 2, 2, 3], [2, 3, 3, 4], method="asymptotic").
  const tied = mannWhitneyU([1, 2, 2, 3], [2, 3, 3, 4]);
  assert.equal(tied.u, 3);
  close(tied.p, 0.1720337089218229, 1e-6);
});

Deno.test("mannWhitneyUCounts() separates two histograms and not a histogram from itself", () => {
  const fast: Array<[number, number]> = [[1000, 500], [1100, 300], [1500, 10]];
  const slow: Array<[number, number]> = [[20000, 400], [21000, 100]];
  assert.ok(mannWhitneyUCounts(slow, fast).p < 1e-6);
  assert.equal(mannWhitneyUCounts(slow, fast).u, 500 * 810);
  assert.equal(mannWhitneyUCounts(fast, fast).p, 1);
});

Deno.test("mannWhitneyMinP() says 3 runs against 3 cannot go below p = 0.1", () => {
  close(mannWhitneyMinP(3, 3), 0.1);
  close(mannWhitneyMinP(5, 5), 2 / 252);
  assert.equal(mannWhitneyMinP(0, 3), 1);
});
