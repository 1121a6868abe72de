/**
 * The lab's charts: vega-lite specifications built from the runs (pure), compiled with vega-lite
 * and rendered to SVG strings by vega headless (no browser, no canvas, no CDN), so report.html
 * carries its charts inline and opens offline.
 *
 * @module
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import { percentile } from "./_group.ts";
import { modelLabel } from "./_tables.ts";
import { type LabResult, MODEL_ORDER } from "./types.ts";

/** A vega-lite specification (vega-lite's own `TopLevelSpec` type). */
export type VegaLiteSpec = TopLevelSpec;

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

/** Colour by model, in report order, references marked "(ref)". */
function modelColor(result: LabResult) {
  const domain = MODEL_ORDER.flatMap((m) => {
    const cell = result.cells.find((c) => c.model === m);
    return cell ? [modelLabel(m, cell.reference)] : [];
  });
  return { field: "model", type: "nominal", title: "model", scale: { domain } } as const;
}

/** Requests per second no server can pass on the CPU route: every core busy on it. */
export function cpuCeiling(result: LabResult): number {
  return (result.environment.cpus * 1000) / Math.max(1, result.settings.workMs);
}

/** A gray dash sample; no fill, so the point layer's black disc does not cover it. */
const LEGEND_STROKE = {
  stroke: { value: "#555" },
  fill: { value: "transparent" },
  fillOpacity: { value: 1 },
  opacity: { value: 1 },
} as const;

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
  const color = modelColor(result);
  const charts: LabChartSpec[] = [];
  for (const route of routes) {
    const cells = result.cells.filter((c) => c.route === route);
    const throughput = cells.map((c) => ({
      model: modelLabel(c.model, c.reference),
      reference: c.reference ? "reference" : "netlab",
      concurrency: c.concurrency,
      rps: Number(c.summary.requestsPerSecond.median.toFixed(2)),
      min: Number(c.summary.requestsPerSecond.min.toFixed(2)),
      max: Number(c.summary.requestsPerSecond.max.toFixed(2)),
    }));
    // A cell where nothing completed has no latency: leave its point out rather than draw NaN.
    const latency = cells.filter((c) => c.summary.complete > 0).flatMap((c) =>
      ([50, 99] as const).map((p) => ({
        model: modelLabel(c.model, c.reference),
        concurrency: c.concurrency,
        percentile: `p${p}`,
        ms: percentile(c, p),
      }))
    );
    const cpuRoute = route.startsWith("/_netlab/work");
    const ceiling = cpuCeiling(result);
    const rps = {
      field: "rps",
      type: "quantitative",
      title: "requests per second (median)",
    } as const;
    charts.push({
      id: `throughput-${slug(route)}`,
      title: `Requests per second against concurrency: ${route} (bars: lowest to highest run${
        cpuRoute ? `; dashed: the ceiling of ${result.environment.cpus} CPUs` : ""
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
              // References dashed, so netlab's own lines stand out.
              strokeDash: {
                field: "reference",
                type: "nominal",
                scale: { domain: ["netlab", "reference"], range: [[1, 0], [5, 3]] },
                legend: null,
              },
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
          ...(cpuRoute
            ? [{
              data: { values: [{ ceiling, label: `ceiling ${ceiling.toFixed(0)} req/s` }] },
              layer: [
                {
                  mark: { type: "rule", strokeDash: [6, 4], color: "#b22" },
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
            }] as const
            : []),
        ],
      } as VegaLiteSpec,
    });
    charts.push({
      id: `latency-${slug(route)}`,
      title: `Latency p50 and p99 (all runs) against concurrency: ${route}`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: WIDTH,
        height: HEIGHT,
        data: { values: latency },
        mark: { type: "line", point: true },
        encoding: {
          x: concurrencyAxis,
          y: { field: "ms", type: "quantitative", title: "latency (ms)" },
          color,
          strokeDash: {
            field: "percentile",
            type: "nominal",
            title: "percentile",
            // symbolStrokeColor is dropped for strokeDash legends: without a stroke encoded here the
            // dashes are drawn invisible. The line and the point layer each derive the symbols'
            // encoding; stating all of it makes them agree, or vega-lite warns about the conflict.
            legend: {
              symbolType: "stroke",
              symbolStrokeWidth: 2,
              symbolSize: 300,
              encoding: { symbols: LEGEND_STROKE },
            },
          },
        },
      },
    });
  }
  return charts;
}

/**
 * Renders one vega-lite specification to an SVG string, headless.
 *
 * @param spec a vega-lite specification with inline data
 * @returns the `<svg>` markup
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
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
