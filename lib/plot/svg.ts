/**
 * vega-lite specifications to SVG strings, headless (vega's "none" renderer: no browser, no canvas,
 * no CDN), so an HTML report carries its charts inline and opens offline. Shared by bench's
 * `--plot` pages and the lab's report.
 *
 * @module
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";

/** A vega-lite specification (vega-lite's own `TopLevelSpec` type). */
export type VegaLiteSpec = TopLevelSpec;

/** One chart before rendering. */
export interface ChartSpec {
  /** Stable id, usable as an HTML id: "throughput-page-html". */
  id: string;
  /** Caption shown above it. */
  title: string;
  /** The vega-lite specification (data inlined). */
  spec: VegaLiteSpec;
}

/** One rendered chart. */
export interface Chart {
  /** Same as {@link ChartSpec.id}. */
  id: string;
  /** Same as {@link ChartSpec.title}. */
  title: string;
  /** A standalone `<svg>` element. */
  svg: string;
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
 * Renders chart specifications in order.
 *
 * @param specs the charts
 * @returns them rendered
 */
export async function renderCharts(specs: readonly ChartSpec[]): Promise<Chart[]> {
  const out: Chart[] = [];
  for (const c of specs) out.push({ id: c.id, title: c.title, svg: await renderSvg(c.spec) });
  return out;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A `<figure>` per chart, its caption above it. */
export function figuresHtml(charts: readonly Chart[]): string {
  return charts.map((c) =>
    `<figure class="chart" id="${escapeHtml(c.id)}"><figcaption>${
      escapeHtml(c.title)
    }</figcaption>\n${c.svg}\n</figure>`
  ).join("\n");
}
