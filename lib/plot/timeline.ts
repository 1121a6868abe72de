/**
 * A run's time series charts: requests per second, p50 and p99 latency per second (p99 dashed,
 * as everywhere dashed means p99), and errors per second; one line per run, URL or server.
 *
 * @module
 */
import type { TimelinePoint } from "../bench/result.ts";
import type { ChartSpec, VegaLiteSpec } from "./svg.ts";

/** One line of the time series. */
export interface TimelineSeries {
  label: string;
  timeline: readonly TimelinePoint[];
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** p50 solid, p99 dashed: what a dashed line means on every chart netlab draws. */
export const PERCENTILE_DASH = {
  field: "percentile",
  type: "nominal",
  title: "percentile",
  scale: { domain: ["p50", "p99"], range: [[1, 0], [5, 3]] },
  get legend() {
    return DASH_LEGEND;
  },
} as const;

/**
 * A legend that draws dashes: vega-lite drops symbolStrokeColor for strokeDash legends, so without
 * a stroke stated here the dashes are invisible (the lab's charts do the same).
 */
export const DASH_LEGEND = {
  symbolType: "stroke",
  symbolStrokeWidth: 2,
  symbolSize: 300,
  encoding: {
    symbols: {
      stroke: { value: "#555" },
      fill: { value: "transparent" },
      fillOpacity: { value: 1 },
      opacity: { value: 1 },
    },
  },
} as const;
const seconds = {
  field: "second",
  type: "quantitative",
  title: "seconds since the start",
} as const;

function lineChart(
  values: Record<string, unknown>[],
  y: Record<string, unknown>,
  domain: string[],
  extra: Record<string, unknown> = {},
): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    width: 560,
    height: 220,
    data: { values },
    mark: { type: "line", point: values.length <= 120 },
    encoding: {
      x: seconds,
      y,
      color: {
        field: "series",
        type: "nominal",
        title: "",
        scale: { domain },
        legend: { labelLimit: 360 },
      },
      ...extra,
    },
  } as VegaLiteSpec;
}

/**
 * The three time series charts.
 *
 * @param series one line each
 * @param idPrefix prefix of the charts' ids
 * @returns req/s, latency and errors charts
 */
export function timelineSpecs(series: readonly TimelineSeries[], idPrefix = ""): ChartSpec[] {
  const domain = series.map((s) => s.label);
  const rps = series.flatMap((s) =>
    s.timeline.map((p) => ({ series: s.label, second: p.second, rps: p.requestsPerSecond }))
  );
  const latency = series.flatMap((s) =>
    s.timeline.flatMap((p) =>
      p.p50 === undefined ? [] : [
        { series: s.label, second: p.second, percentile: "p50", ms: Math.max(0.001, p.p50) },
        { series: s.label, second: p.second, percentile: "p99", ms: Math.max(0.001, p.p99!) },
      ]
    )
  );
  const errors = series.flatMap((s) =>
    s.timeline.map((p) => ({ series: s.label, second: p.second, errors: p.errors }))
  );
  const totalErrors = errors.reduce((n, e) => n + e.errors, 0);
  return [
    {
      id: `${idPrefix}timeline-rps`,
      title: "Requests per second, second by second",
      spec: lineChart(
        rps,
        { field: "rps", type: "quantitative", title: "requests per second" },
        domain,
      ),
    },
    {
      id: `${idPrefix}timeline-latency`,
      title: "Latency p50 (solid) and p99 (dashed), second by second",
      spec: lineChart(
        latency,
        {
          field: "ms",
          type: "quantitative",
          title: "latency (ms, log scale)",
          scale: { type: "log" },
        },
        domain,
        {
          strokeDash: PERCENTILE_DASH,
          detail: { field: "percentile", type: "nominal" },
        },
      ),
    },
    {
      id: `${idPrefix}timeline-errors`,
      title: `Errors per second (${totalErrors === 0 ? "none" : `${totalErrors} in all`})`,
      spec: lineChart(
        errors,
        { field: "errors", type: "quantitative", title: "failed requests" },
        domain,
      ),
    },
  ];
}
