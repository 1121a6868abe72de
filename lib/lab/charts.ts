/**
 * The lab's charts: vega-lite specifications built from the runs (pure), compiled with vega-lite
 * and rendered to SVG strings by vega headless (no browser, no canvas, no CDN), so report.html
 * carries its charts inline and opens offline.
 *
 * @module
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import { groupRuns, percentile } from "./_group.ts";
import type { LabResult } from "./types.ts";

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

const modelColor = {
  field: "model",
  type: "nominal",
  title: "model",
  scale: { domain: ["async", "pool", "balancer"] },
} as const;

/** A gray dash sample; no fill, so the point layer's black disc does not cover it. */
const LEGEND_STROKE = {
  stroke: { value: "#555" },
  fill: { value: "transparent" },
  fillOpacity: { value: 1 },
  opacity: { value: 1 },
} as const;

/**
 * The chart specifications for a lab: per route, req/s against concurrency per model, and p50 and
 * p99 latency against concurrency per model.
 *
 * @param result a finished lab
 * @returns the specifications, throughput first, in route order
 */
export function labChartSpecs(result: LabResult): LabChartSpec[] {
  const routes = [...new Set(groupRuns(result.runs).map((g) => g.route))];
  const charts: LabChartSpec[] = [];
  for (const route of routes) {
    const runs = result.runs.filter((r) => r.route === route);
    const throughput = runs.map(({ model, result }) => ({
      model,
      concurrency: result.concurrency,
      rps: Number(result.requestsPerSecond.toFixed(2)),
    }));
    // A run where nothing completed has no latency: leave its point out rather than draw NaN.
    const latency = runs.filter((r) => r.result.complete > 0).flatMap(({ model, result }) =>
      ([50, 99] as const).map((p) => ({
        model,
        concurrency: result.concurrency,
        percentile: `p${p}`,
        ms: percentile(result, p),
      }))
    );
    charts.push({
      id: `throughput-${slug(route)}`,
      title: `Requests per second against concurrency: ${route}`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: WIDTH,
        height: HEIGHT,
        data: { values: throughput },
        mark: { type: "line", point: true },
        encoding: {
          x: concurrencyAxis,
          y: { field: "rps", type: "quantitative", title: "requests per second" },
          color: modelColor,
        },
      },
    });
    charts.push({
      id: `latency-${slug(route)}`,
      title: `Latency p50 and p99 against concurrency: ${route}`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: WIDTH,
        height: HEIGHT,
        data: { values: latency },
        mark: { type: "line", point: true },
        encoding: {
          x: concurrencyAxis,
          y: { field: "ms", type: "quantitative", title: "latency (ms)" },
          color: modelColor,
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
