/**
 * `netlab bench`'s report: cells in ab's, JSON, CSV or Markdown form (`bench merge` prints its
 * cells with it too).
 *
 * @module
 */
import { VERSION } from "../version.ts";
import type { BenchCell } from "../bench/cell.ts";
import {
  renderAbCell,
  renderCellsJson,
  renderCellsMarkdown,
  renderEngineLines,
} from "../bench/render/cells.ts";
import { renderCsv } from "../bench/render/csv.ts";
import type { BenchFormat } from "./bench_flags.ts";

/** Cells as a report in one of bench's formats (`bench merge` prints its cells with it too). */
export function renderReport(format: BenchFormat, cells: BenchCell[]): string {
  switch (format) {
    case "json":
      return renderCellsJson(cells);
    case "csv":
      return renderCsv(cells.flatMap((c) => c.runs));
    case "markdown":
      return renderCellsMarkdown(cells);
    default:
      return cells.map((c) =>
        `This is netlab bench ${VERSION}, an ApacheBench-compatible load generator\n` +
        `${renderEngineLines(c)}\n` +
        `Benchmarking ${c.runs[0]?.hostname ?? c.url} (be patient).....done\n${mergedLine(c)}\n\n${
          renderAbCell(c)
        }`
      ).join("\n");
  }
}

/** For a cell from `bench merge`: what it was merged from ("" otherwise). */
function mergedLine(cell: BenchCell): string {
  const m = cell.merged;
  if (m === undefined) return "";
  const shards = m.shards.length > 0 ? ` (shards ${m.shards.join(", ")})` : "";
  const urls = m.urls.length > 1 ? `; URLs ${m.urls.join(", ")}` : "";
  return `Merged from ${m.cells} reports${shards}${urls}\n`;
}
