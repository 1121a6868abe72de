/**
 * Reports of cells (repeated runs): JSON as documented in docs/bench.md, ab's report of the median
 * run followed by the spread across runs, and the lab's markdown table with a spread column.
 *
 * @module
 */
import type { BenchCell, BenchRun } from "../cell.ts";
import { renderAb } from "./ab.ts";
import { MARKDOWN_HEADER } from "./markdown.ts";
import { renderPerUrlMarkdown, renderPerUrlText } from "../per_url.ts";

/**
 * Renders cells as pretty JSON: always an array, one object per cell.
 *
 * @param cells cells from `benchCells()`
 * @returns JSON text ending with a newline
 */
export function renderCellsJson(cells: BenchCell[]): string {
  return `${JSON.stringify(cells, null, 2)}\n`;
}

/** The run whose requests per second is the median (the lower middle one for an even count). */
export function medianRun(cell: BenchCell): BenchRun | undefined {
  const sorted = [...cell.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

/** "12345.67 [#/sec] (median of 5 runs; min 12000.00, max 12600.00, 95% CI 12100.00-12500.00)". */
export function rpsSpreadText(cell: BenchCell): string {
  const s = cell.summary.requestsPerSecond;
  return `${f2(s.median)} [#/sec] (median of ${cell.runs.length} runs; min ${f2(s.min)}, max ${
    f2(s.max)
  }, 95% CI ${f2(s.ciLow)}-${f2(s.ciHigh)})`;
}

/**
 * ab's report for one cell: with one run, ab's report of it; with several, ab's report of the
 * median run followed by the figures across every run.
 *
 * @param cell a cell from `benchCells()`
 * @returns the report text (from "Server Software:" on), ending with a newline
 */
export function renderAbCell(cell: BenchCell): string {
  const run = medianRun(cell);
  if (run === undefined) return "No run finished\n";
  let out = renderAb(run);
  if (cell.runs.length > 1 || cell.warmup > 0) {
    out += `\nAcross runs${
      cell.runs.length > 1 ? " (the report above is the median run's)" : ""
    }\n`;
    if (cell.warmup > 0) out += `  Warm-up:              ${cell.warmup} requests, not counted\n`;
    out += `  Runs:                 ${cell.runs.length}\n`;
    out += `  Requests per second:  ${rpsSpreadText(cell)}\n`;
    out += `  Per run:              ${cell.runs.map((r) => f2(r.requestsPerSecond)).join(" ")}\n`;
    const p = cell.summary.percentiles;
    if (cell.summary.complete > 0) {
      out += `  Latency, all runs:    p50 ${f3(p["50"] ?? 0)}  p90 ${f3(p["90"] ?? 0)}  p99 ${
        f3(p["99"] ?? 0)
      }  max ${f3(p["100"] ?? 0)} [ms]\n`;
    }
  }
  if (cell.summary.perUrl !== undefined) out += renderPerUrlText(cell.summary.perUrl);
  const c = cell.client;
  out += `Client CPU: ${c.cpuPercent.toFixed(1)}% of its threads${
    c.saturated ? ` (saturated: ${c.limit ?? "the load generator may have set the pace"})` : ""
  }; load average ${cell.environment.loadAverageStart.join(" ")} at start, ${
    cell.environment.loadAverageEnd.join(" ")
  } at end\n`;
  return out;
}

/**
 * The lines that open a cell's ab report: which engine ran and why, and, when the load generator
 * set the pace, that it did and how that was seen.
 *
 * @param cell a cell from `benchCells()`
 * @returns zero, one or two lines, each ending with a newline
 */
export function renderEngineLines(cell: BenchCell): string {
  let out = cell.engineReason === undefined
    ? ""
    : `Engine:                 ${cell.engine} (${cell.engineReason})\n`;
  if (cell.client.saturated) {
    out += `Load generator:         the bottleneck: ${
      cell.client.limit ?? "it was saturated"
    }, so the figures measure the client\n`;
  }
  return out;
}

/**
 * The lab's markdown table, one per URL; with repeats, requests per second is the median and two
 * columns give its range and 95% interval.
 *
 * @param cells cells from `benchCells()`
 * @returns markdown text ending with a newline
 */
export function renderCellsMarkdown(cells: BenchCell[]): string {
  const repeated = cells.some((c) => c.runs.length > 1);
  const header = repeated
    ? `${MARKDOWN_HEADER} Runs | Spread (min-max req/s) | 95% CI (req/s) | p50 (ms) | p99 (ms) |`
    : MARKDOWN_HEADER;
  const byUrl = new Map<string, BenchCell[]>();
  for (const c of cells) byUrl.set(c.url, [...(byUrl.get(c.url) ?? []), c]);
  const parts: string[] = [];
  for (const [url, list] of byUrl) {
    const columns = repeated ? 14 : 9;
    const lines = [`### ${url}`, "", header, `|${"---|".repeat(columns)}`];
    list.forEach((c, i) => {
      const r = medianRun(c);
      if (r === undefined) return;
      const s = c.summary.requestsPerSecond;
      let row = `| ${i + 1} | ${c.concurrency} | ${
        f3(r.timeTakenSeconds)
      } | ${r.complete} | ${r.failed} | ${r.totalTransferred} | ${f2(s.median)} | ${
        f3(r.timePerRequestMs)
      } | ${f2(r.transferRateKBps)} |`;
      if (repeated) {
        const p = c.summary.percentiles;
        row += ` ${c.runs.length} | ${f2(s.min)}-${f2(s.max)} | ${f2(s.ciLow)}-${f2(s.ciHigh)} | ${
          f3(p["50"] ?? 0)
        } | ${f3(p["99"] ?? 0)} |`;
      }
      lines.push(row);
    });
    for (const c of list) {
      if (c.summary.perUrl === undefined) continue;
      lines.push(
        "",
        `Per URL, c=${c.concurrency}:`,
        "",
        renderPerUrlMarkdown(c.summary.perUrl).trimEnd(),
      );
    }
    parts.push(lines.join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}
