/**
 * `netlab bench --plot FILE.html` (and `bench merge --plot`, `bench compare --plot`): one offline
 * page with the latency spectrum of every cell (or every URL of a `--urls-file` run, or both sides
 * of a comparison) from its merged histograms, and its time series. Pure over cells, but for
 * vega's rendering.
 *
 * @module
 */
import type { BenchCell } from "../bench/cell.ts";
import { type ChartSpec, escapeHtml, figuresHtml, renderCharts } from "./svg.ts";
import { type SpectrumSeries, spectrumSpec } from "./spectrum.ts";
import { type TimelineSeries, timelineSpecs } from "./timeline.ts";

/** Cells under a name: "BASE" and "NEW" for a comparison, "" for one report. */
export interface PlotSide {
  name: string;
  cells: readonly BenchCell[];
}

function cellLabel(cell: BenchCell, cells: readonly BenchCell[]): string {
  const urls = new Set(cells.map((c) => c.name ?? c.url));
  const levels = new Set(cells.map((c) => c.concurrency));
  const parts: string[] = [];
  if (urls.size > 1) parts.push(cell.name ?? cell.url);
  if (levels.size > 1 || parts.length === 0) parts.push(`c=${cell.concurrency}`);
  return parts.join(" ");
}

function withSide(side: string, label: string): string {
  return side === "" ? label : `${side}: ${label}`;
}

/** The spectrum's lines: per cell, or per URL line of a many-requests cell. */
export function spectrumSeries(sides: readonly PlotSide[]): SpectrumSeries[] {
  return sides.flatMap((side) =>
    side.cells.flatMap((cell) => {
      const label = cellLabel(cell, side.cells);
      const perUrl = cell.summary.perUrl;
      if (perUrl !== undefined) {
        const one = side.cells.length === 1;
        return perUrl.map((u) => ({
          label: withSide(side.name, one ? u.label : `${label} ${u.label}`),
          histogram: u.latencyHistogram,
        }));
      }
      return [{ label: withSide(side.name, label), histogram: cell.summary.latencyHistogram }];
    })
  );
}

/** The time series' lines: per run of every cell. */
export function timelineSeries(sides: readonly PlotSide[]): TimelineSeries[] {
  return sides.flatMap((side) =>
    side.cells.flatMap((cell) =>
      cell.runs.map((run, k) => ({
        label: withSide(
          side.name,
          `${cellLabel(cell, side.cells)}${cell.runs.length > 1 ? ` run ${k + 1}` : ""}`,
        ),
        timeline: run.timeline ?? [],
      }))
    )
  );
}

/** The page's charts: the spectrum first, then the time series. */
export function benchPlotSpecs(sides: readonly PlotSide[]): ChartSpec[] {
  return [
    {
      id: "latency-spectrum",
      title: "Latency by percentile (x: 1/(1-p), log scale, as HdrHistogram plots it; all runs)",
      spec: spectrumSpec(spectrumSeries(sides)),
    },
    ...timelineSpecs(timelineSeries(sides)),
  ];
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem;
  color: #1d2330; }
h1 { margin-bottom: .2rem; } .meta { color: #5a6270; margin: .1rem 0; }
figure { margin: 1rem 0 2rem; } figcaption { font-weight: 600; margin-bottom: .4rem; }
`;

/**
 * The whole page.
 *
 * @param title the page's heading
 * @param sides the cells to draw, under their names
 * @returns a complete HTML document with inline SVG charts
 */
export async function renderBenchPlot(title: string, sides: readonly PlotSide[]): Promise<string> {
  const charts = await renderCharts(benchPlotSpecs(sides));
  const meta = sides.flatMap((s) =>
    s.cells.map((c) =>
      `<p class="meta">${escapeHtml(withSide(s.name, `${c.url}`))}: c=${c.concurrency}, ${
        escapeHtml(c.engine)
      } engine, ${c.runs.length} run${
        c.runs.length === 1 ? "" : "s"
      }, ${c.summary.complete} complete, ${c.summary.failed} failed, ${escapeHtml(c.startedAt)}</p>`
    )
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${meta.join("\n")}
${figuresHtml(charts)}
</body>
</html>
`;
}
