import assert from "node:assert/strict";
import { labChartSpecs, renderLabCharts } from "../../lib/lab/charts.ts";
import { sampleResult } from "./_fixture.ts";

Deno.test("labChartSpecs() makes a throughput and a latency chart per route", () => {
  const result = sampleResult();
  assert.deepEqual(labChartSpecs(result).map((c) => c.id), [
    "throughput-page-html",
    "latency-page-html",
  ]);
  result.runs.push({ ...result.runs[0]!, route: "/_netlab/work?ms=5" });
  assert.equal(labChartSpecs(result).length, 4);
});

Deno.test("renderLabCharts() renders SVG with a line per model (and per percentile)", async () => {
  const [throughput, latency] = await renderLabCharts(sampleResult());
  for (const chart of [throughput!, latency!]) {
    assert.match(chart.svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(chart.svg, /NaN|undefined/);
  }
  // One drawn line per model, and per percentile on the latency chart; a point per run.
  const marks = (svg: string, kind: string) =>
    svg.match(new RegExp(`aria-roledescription="${kind}"[^>]* d="M`, "g"))?.length ?? 0;
  assert.equal(marks(throughput!.svg, "line mark"), 3);
  assert.equal(marks(latency!.svg, "line mark"), 6);
  assert.equal(throughput!.svg.match(/aria-roledescription="point"/g)?.length, 9);
  for (const model of ["async", "pool", "balancer"]) {
    assert.match(throughput!.svg, new RegExp(`>${model}<`));
  }
});

Deno.test("renderLabCharts() draws the p50/p99 legend swatches with a visible stroke", async () => {
  const [, latency] = await renderLabCharts(sampleResult());
  const dashed = [
    ...latency!.svg.matchAll(/role-legend-symbol[^>]*><path [^>]*stroke-dasharray[^>]*>/g),
  ]
    .map((m) => m[0]);
  assert.equal(dashed.length, 2, "one swatch per percentile");
  for (const swatch of dashed) assert.match(swatch, / stroke="#[0-9a-f]{3,6}"/);
});
