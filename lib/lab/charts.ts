/**
 * The lab's charts: vega-lite specifications built from the runs (pure), compiled with vega-lite
 * and rendered to SVG strings by vega headless (no browser, no canvas, no CDN), so report.html
 * carries its charts inline and opens offline.
 *
 * @module
 */
import { percentile } from "./_group.ts";
import { renderSvg, type VegaLiteSpec } from "../plot/svg.ts";
import { spectrumSpec } from "../plot/spectrum.ts";
import { PERCENTILE_DASH } from "../plot/timeline.ts";
import { modelLabel } from "./_tables.ts";
import { type LabResult, MODEL_ORDER } from "./types.ts";

export { renderSvg, type VegaLiteSpec };

/** One chart before rendering. */
export interface LabChartSpec {
  /** Stable id, usable as an HTML id: "throughput-page-html". */
  id: string;
  /** Caption shown above it. */
  title: string;
  /** The vega-lite specification (data inlined). */
  spec: VegaLiteSpec;
}

/** One rendered chart. */
export interface LabChart {
  /** Same as {@link LabChartSpec.id}. */
  id: string;
  /** Same as {@link LabChartSpec.title}. */
  title: string;
  /** A standalone `<svg>` element. */
  svg: string;
}

const WIDTH = 560;
const HEIGHT = 280;

function slug(route: string): string {
  return route.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "") || "root";
}

const concurrencyAxis = {
  field: "concurrency",
  type: "ordinal",
  title: "concurrency (simultaneous requests)",
  axis: { labelAngle: 0 },
} as const;

/**
 * Colour by model, in report order, references marked "(ref)"; only the models with data in
 * `cells` (one route's), so a legend never lists a model its chart does not draw. Each model keeps
 * its colour across routes: the colours are picked by the model's place among all of the lab's.
 */
function modelColor(result: LabResult, cells: LabResult["cells"]) {
  const all = MODEL_ORDER.flatMap((m) => {
    const cell = result.cells.find((c) => c.model === m);
    return cell ? [modelLabel(m, cell.reference)] : [];
  });
  const here = new Set(
    cells.filter((c) => c.summary.complete > 0).map((c) => modelLabel(c.model, c.reference)),
  );
  const domain = all.filter((m) => here.has(m));
  const range = domain.map((m) => PALETTE[all.indexOf(m) % PALETTE.length]!);
  return { field: "model", type: "nominal", title: "model", scale: { domain, range } } as const;
}

/** vega's category10, so a model's colour is the same on every chart. */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/** References drawn thin, netlab's models thick: dashes are kept for p99 on every chart. */
const REFERENCE_WIDTH = {
  field: "reference",
  type: "ordinal",
  sort: ["netlab", "reference"],
  scale: { domain: ["netlab", "reference"], range: [2.5, 1.2] },
  legend: null,
} as const;

/** Requests per second no server can pass on the CPU route: every core busy on it. */
export function cpuCeiling(result: LabResult): number {
  return (result.environment.cpus * 1000) / Math.max(1, result.settings.workMs);
}

/**
 * The chart specifications for a lab: per route, median req/s against concurrency per model with
 * error bars from the lowest to the highest run (and, on the CPU route, the ceiling of CPUs x 1000
 * / ms), and median p50 and p99 latency against concurrency per model.
 *
 * @param result a lab's result
 * @returns the specifications, throughput first, in route order
 */
export function labChartSpecs(result: LabResult): LabChartSpec[] {
  const routes = [...new Set(result.cells.map((c) => c.route))];
  return routes.flatMap((route) => {
    const cells = result.cells.filter((c) => c.route === route);
    const color = modelColor(result, cells);
    return [
      throughputChart(result, route, cells, color),
      latencyChart(route, cells, color),
      ...spectrumCharts(result, route, cells),
    ];
  });
}

type Color = ReturnType<typeof modelColor>;

/** Median req/s against concurrency per model, bars from the lowest to the highest run. */
function throughputChart(
  result: LabResult,
  route: string,
  cells: LabResult["cells"],
  color: Color,
): LabChartSpec {
  const throughput = cells.map((c) => ({
    model: modelLabel(c.model, c.reference),
    reference: c.reference ? "reference" : "netlab",
    concurrency: c.concurrency,
    rps: Number(c.summary.requestsPerSecond.median.toFixed(2)),
    min: Number(c.summary.requestsPerSecond.min.toFixed(2)),
    max: Number(c.summary.requestsPerSecond.max.toFixed(2)),
  }));
  const cpuRoute = route.startsWith("/_netlab/work");
  const rps = {
    field: "rps",
    type: "quantitative",
    title: "requests per second (median)",
  } as const;
  return {
    id: `throughput-${slug(route)}`,
    title:
      `Requests per second against concurrency: ${route} (bars: lowest to highest run; thin lines: references${
        cpuRoute ? `; red rule: the ceiling of ${result.environment.cpus} CPUs` : ""
      })`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values: throughput },
          mark: { type: "line", point: true },
          encoding: {
            x: concurrencyAxis,
            y: rps,
            color,
            // References thin, so netlab's own lines stand out (dashes mean p99 everywhere).
            strokeWidth: REFERENCE_WIDTH,
          },
        },
        {
          data: { values: throughput },
          mark: { type: "errorbar", ticks: { size: 8 } },
          encoding: {
            x: concurrencyAxis,
            y: { field: "min", type: "quantitative", title: rps.title },
            y2: { field: "max" },
            color,
          },
        },
        ...(cpuRoute ? [ceilingLayer(cpuCeiling(result))] : []),
      ],
    } as VegaLiteSpec,
  };
}

/** The CPU route's ceiling, CPUs x 1000 / ms, as a red rule with its label. */
function ceilingLayer(ceiling: number) {
  return {
    data: { values: [{ ceiling, label: `ceiling ${ceiling.toFixed(0)} req/s` }] },
    layer: [
      {
        mark: { type: "rule", strokeWidth: 1.5, color: "#b22" },
        encoding: { y: { field: "ceiling", type: "quantitative" } },
      },
      {
        mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#b22" },
        encoding: {
          y: { field: "ceiling", type: "quantitative" },
          x: { value: 0 },
          text: { field: "label" },
        },
      },
    ],
  } as const;
}

/** Median p50 and p99 latency against concurrency per model, on a log scale. */
function latencyChart(route: string, cells: LabResult["cells"], color: Color): LabChartSpec {
  // A cell where nothing completed has no latency: leave its point out rather than draw NaN.
  const latency = cells.filter((c) => c.summary.complete > 0).flatMap((c) =>
    ([50, 99] as const).map((p) => ({
      model: modelLabel(c.model, c.reference),
      reference: c.reference ? "reference" : "netlab",
      concurrency: c.concurrency,
      percentile: `p${p}`,
      ms: Math.max(0.001, percentile(c, p)),
    }))
  );
  return {
    id: `latency-${slug(route)}`,
    title:
      `Latency p50 (solid) and p99 (dashed), all runs, against concurrency: ${route} (log scale; thin lines: references)`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: HEIGHT,
      data: { values: latency },
      mark: { type: "line", point: true },
      encoding: {
        x: concurrencyAxis,
        // A log scale: one balancer p99 of 210 ms would flatten every other line on a linear one.
        y: {
          field: "ms",
          type: "quantitative",
          title: "latency (ms, log scale)",
          scale: { type: "log", nice: false },
        },
        color,
        strokeWidth: REFERENCE_WIDTH,
        strokeDash: PERCENTILE_DASH,
      },
    },
  };
}

/** Per concurrency level of a route: the latency distribution of each model, references included. */
function spectrumCharts(
  result: LabResult,
  route: string,
  cells: LabResult["cells"],
): LabChartSpec[] {
  const colors = modelColor(result, result.cells).scale;
  const levels = [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b);
  return levels.flatMap((level) => {
    const here = cells.filter((c) =>
      c.concurrency === level && c.summary.complete > 0 && c.summary.latencyHistogram !== ""
    )
      .sort((a, b) => MODEL_ORDER.indexOf(a.model) - MODEL_ORDER.indexOf(b.model));
    if (here.length === 0) return [];
    return [{
      id: `spectrum-${slug(route)}-c${level}`,
      title: `Latency by percentile, c=${level}: ${route}`,
      spec: spectrumSpec(
        here.map((c) => ({
          label: modelLabel(c.model, c.reference),
          histogram: c.summary.latencyHistogram,
        })),
        {
          width: 300,
          height: 200,
          colorTitle: "model",
          // each model in its colour on the other charts
          colors: here.map((c) =>
            colors.range[colors.domain.indexOf(modelLabel(c.model, c.reference))] ?? "#888"
          ),
        },
      ),
    }];
  });
}

/**
 * Builds and renders every chart of a lab.
 *
 * @param result a finished lab
 * @returns the charts as SVG strings, in {@link labChartSpecs} order
 *
 * @example
 * ```ts ignore
 * import { renderLabCharts } from "@netlab/netlab/lab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * for (const chart of await renderLabCharts(result)) {
 *   await Deno.writeTextFile(`${chart.id}.svg`, chart.svg);
 * }
 * ```
 */
export async function renderLabCharts(result: LabResult): Promise<LabChart[]> {
  const charts: LabChart[] = [];
  for (const c of labChartSpecs(result)) {
    charts.push({ id: c.id, title: c.title, svg: await renderSvg(c.spec) });
  }
  return charts;
}
