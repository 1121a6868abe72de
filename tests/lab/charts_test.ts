import assert from "node:assert/strict";
import { cpuCeiling, labChartSpecs, renderLabCharts } from "../../lib/lab/charts.ts";
import { cell, sampleResult } from "./_fixture.ts";
import { Series } from "../../lib/bench/_series.ts";

const CPU_ROUTE = "/_netlab/work?ms=5";

Deno.test("labChartSpecs() makes a throughput and a latency chart per route", () => {
  const result = sampleResult();
  assert.deepEqual(labChartSpecs(result).map((c) => c.id), [
    "throughput-page-html",
    "latency-page-html",
  ]);
  result.cells.push(cell("async", 1, [190, 195, 200], 9, 0, CPU_ROUTE));
  assert.equal(labChartSpecs(result).length, 4);
});

Deno.test("renderLabCharts() renders SVG with a line and an error bar per model", async () => {
  const [throughput, latency] = await renderLabCharts(sampleResult());
  for (const chart of [throughput!, latency!]) {
    assert.match(chart.svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(chart.svg, /NaN|undefined/);
  }
  // One drawn line per model, and per percentile on the latency chart; a point per cell.
  const marks = (svg: string, kind: string) =>
    svg.match(new RegExp(`aria-roledescription="${kind}"[^>]* d="M`, "g"))?.length ?? 0;
  assert.equal(marks(throughput!.svg, "line mark"), 3);
  assert.equal(marks(latency!.svg, "line mark"), 6);
  assert.equal(throughput!.svg.match(/aria-roledescription="point"/g)?.length, 9);
  // The spread: a bar from the lowest to the highest run of every cell.
  assert.equal(throughput!.svg.match(/aria-roledescription="errorbar"/g)?.length, 9);
  for (const model of ["async", "pool", "balancer"]) {
    assert.match(throughput!.svg, new RegExp(`>${model}<`));
  }
  assert.doesNotMatch(throughput!.svg, /ceiling/);
});

Deno.test("renderLabCharts() draws the CPU route's ceiling at CPUs x 1000 / ms", async () => {
  const result = sampleResult();
  result.cells.push(
    cell("async", 1, [190, 195, 200], 9, 0, CPU_ROUTE),
    cell("pool", 1, [350, 380, 390], 9, 0, CPU_ROUTE),
  );
  assert.equal(cpuCeiling(result), 400);
  const charts = await renderLabCharts(result);
  const cpu = charts.find((c) => c.id === "throughput-netlab-work-ms-5")!;
  assert.match(cpu.svg, /aria-roledescription="rule mark"/);
  assert.match(cpu.svg, />ceiling 400 req\/s</);
  assert.match(cpu.title, /the ceiling of 2 CPUs/);
});

Deno.test("renderLabCharts() marks references in the legend", async () => {
  const result = sampleResult();
  result.cells.push(cell("nginx", 1, [9000, 9100, 9300], 0.5));
  const [throughput] = await renderLabCharts(result);
  assert.match(throughput!.svg, />nginx \(ref\)</);
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

Deno.test("labChartSpecs() keeps dashes for p99, a log latency scale, and legends to models with data", () => {
  const result = sampleResult();
  // The CPU route measured only the async server; nginx exists on the page route only.
  result.cells.push(cell("nginx", 1, [9000, 9100, 9300], 0.5));
  result.cells.push(cell("async", 1, [190, 195, 200], 9, 0, CPU_ROUTE));
  const specs = labChartSpecs(result);
  const text = (id: string) => JSON.stringify(specs.find((c) => c.id === id)!.spec);
  // throughput: references drawn thin, never dashed (dashes mean p99)
  assert.doesNotMatch(text("throughput-page-html"), /strokeDash/);
  assert.match(text("throughput-page-html"), /"strokeWidth":\{"field":"reference"/);
  // latency: log scale, p99 dashed
  assert.match(text("latency-page-html"), /"scale":\{"type":"log"/);
  assert.match(text("latency-page-html"), /"strokeDash":\{"field":"percentile"/);
  // the CPU route's legend: the async server alone
  const cpu = specs.find((c) => c.id === "throughput-netlab-work-ms-5")!.spec as unknown as {
    layer: Array<{ encoding?: { color?: { scale: { domain: string[] } } } }>;
  };
  assert.deepEqual(cpu.layer[0]!.encoding!.color!.scale.domain, ["async"]);
});

Deno.test("labChartSpecs() draws each model's latency distribution per concurrency level", () => {
  const result = sampleResult();
  // The fixture's cells carry no histograms: give one level real ones.
  for (const c of result.cells.filter((c) => c.concurrency === 10)) {
    c.summary.latencyHistogram = histogramOf([1000, 2000, 3000, 50_000]);
  }
  const spectra = labChartSpecs(result).filter((c) => c.id.startsWith("spectrum-"));
  assert.deepEqual(spectra.map((c) => c.id), ["spectrum-page-html-c10"]);
  const values = (spectra[0]!.spec as unknown as { data: { values: Array<{ series: string }> } })
    .data.values;
  assert.deepEqual([...new Set(values.map((v) => v.series))], ["async", "pool", "balancer"]);
});

function histogramOf(us: number[]): string {
  const s = new Series();
  for (const v of us) s.add(v);
  return s.state().hist;
}
