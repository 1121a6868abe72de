/**
 * The latency distribution as a percentile spectrum, as HdrHistogram's plotter and wrk2 draw it:
 * x is 1/(1-p) on a log scale, so 0%, 90%, 99%, 99.9% and 99.99% are equally spaced and the tail
 * gets as much room as the body; y is the latency at that percentile (log scale, so one slow line
 * does not flatten the others). Built from HdrHistograms, merged before they get here.
 *
 * @module
 */
import { decodeHistogram } from "../bench/_series.ts";
import type { VegaLiteSpec } from "./svg.ts";

/** One line of the spectrum: a label and an encoded HdrHistogram (µs). */
export interface SpectrumSeries {
  label: string;
  histogram: string;
}

/** Points per decade of 1/(1-p). */
const STEPS = 20;
/** The deepest percentile drawn: 99.999%. */
const DEEPEST = 100_000;

/**
 * The spectrum's points of one histogram: (x = 1/(1-p), percentile, ms), up to the percentile its
 * count can tell (one in `count` requests) and its maximum.
 */
export function spectrumPoints(
  encoded: string,
): Array<{ x: number; percentile: number; ms: number }> {
  if (encoded === "") return [];
  const h = decodeHistogram(encoded);
  const count = h.totalCount;
  if (count === 0) return [];
  const out: Array<{ x: number; percentile: number; ms: number }> = [];
  const deepest = Math.min(DEEPEST, count);
  for (let k = 0;; k++) {
    const x = 10 ** (k / STEPS);
    if (x > deepest) break;
    const p = (1 - 1 / x) * 100;
    out.push({
      x,
      percentile: Number(p.toFixed(4)),
      ms: Math.max(0.001, h.getValueAtPercentile(p) / 1000),
    });
  }
  out.push({ x: deepest, percentile: 100, ms: Math.max(0.001, h.maxValue / 1000) });
  return out;
}

/** Axis labels: 1/(1-p) = 10^k is the percentile with k nines. */
const LABEL = "datum.value == 1 ? '0%' : datum.value == 10 ? '90%' : datum.value == 100 ? '99%'" +
  " : datum.value == 1000 ? '99.9%' : datum.value == 10000 ? '99.99%' : '99.999%'";

/**
 * The vega-lite specification of a spectrum, one line per series.
 *
 * @param series the lines
 * @param options chart size
 * @returns the specification (data inlined)
 */
export function spectrumSpec(
  series: readonly SpectrumSeries[],
  options: { width?: number; height?: number; colorTitle?: string; colors?: string[] } = {},
): VegaLiteSpec {
  const values = series.flatMap((s) =>
    spectrumPoints(s.histogram).map((p) => ({ ...p, series: s.label }))
  );
  const maxX = Math.max(10, ...values.map((v) => v.x));
  const ticks = [1, 10, 100, 1000, 10000, 100000].filter((t) => t <= maxX * 1.0001);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: options.width ?? 560,
    height: options.height ?? 300,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: "percentile",
        scale: { type: "log", domain: [1, Math.max(10, maxX)] },
        axis: {
          values: ticks,
          labelExpr: LABEL,
          grid: true,
          labelOverlap: false,
          labelFlush: false,
        },
      },
      y: {
        field: "ms",
        type: "quantitative",
        title: "latency (ms, log scale)",
        // not rounded out to powers of ten: 0.09-12 ms would otherwise take 0.01-100
        scale: { type: "log", nice: false },
      },
      color: {
        field: "series",
        type: "nominal",
        title: options.colorTitle ?? "",
        scale: {
          domain: series.map((s) => s.label),
          ...(options.colors !== undefined ? { range: options.colors } : {}),
        },
        legend: { labelLimit: 360 },
      },
      tooltip: [
        { field: "series", type: "nominal" },
        { field: "percentile", type: "quantitative" },
        { field: "ms", type: "quantitative" },
      ],
    },
  } as VegaLiteSpec;
}
