/**
 * The lab's HTML report: one self-contained page (inline CSS, inline SVG charts, no script, no
 * CDN) that opens offline. A pure function over a {@link LabResult} and its rendered charts.
 *
 * @module
 */
import { describeSettings, groupCells, medianRun } from "./_group.ts";
import {
  comparisonTable,
  connectionsTable,
  environmentTable,
  howToRead,
  NO_CONNECTIONS,
  referencesTable,
  spreadTable,
} from "./_tables.ts";
import { interruptedNote } from "./report_md.ts";
import { MARKDOWN_HEADER } from "../bench/render/markdown.ts";
import type { LabChart } from "./charts.ts";
import { escapeHtml, figuresHtml } from "../plot/svg.ts";
import type { BenchRun } from "../bench/cell.ts";
import { type LabResult, MODEL_TITLES } from "./types.ts";

export { escapeHtml };

/** Escaped text whose `code spans` (markdown's backticks, shared with report.md) become <code>. */
function prose(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function table(head: readonly string[], rows: (string | number)[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`
  )
    .join("\n");
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** The lab's columns, taken from bench's markdown header so both reports agree. */
const LAB_COLUMNS = MARKDOWN_HEADER.split("|").map((c) => c.trim()).filter((c) => c !== "");

function runRows(runs: BenchRun[]): (string | number)[][] {
  return runs.map((r, i) => [
    i + 1,
    r.concurrency,
    r.timeTakenSeconds.toFixed(3),
    r.complete,
    r.failed,
    r.totalTransferred,
    r.requestsPerSecond.toFixed(2),
    r.timePerRequestMs.toFixed(3),
    r.transferRateKBps.toFixed(2),
  ]);
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem;
  color: #1d2330; }
h1 { margin-bottom: .2rem; } .meta { color: #5a6270; }
table { border-collapse: collapse; margin: .6rem 0 1.4rem; font-variant-numeric: tabular-nums;
  font-size: 14px; }
th, td { border: 1px solid #d5d9e0; padding: .2rem .45rem; text-align: right; white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
th { background: #f2f4f7; font-weight: 600; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0 2rem; } figcaption { font-weight: 600; margin-bottom: .4rem; }
figure[id^="spectrum-"] { display: inline-block; vertical-align: top; margin: .5rem 1.5rem 1rem 0; }
code { background: #f2f4f7; padding: 0 .25rem; border-radius: 3px; }
.interrupted { background: #fff4e5; border: 1px solid #f0b45b; padding: .5rem .8rem; }
`;

/**
 * The whole HTML report (report.html).
 *
 * @param result a finished lab
 * @param charts its charts, rendered to SVG by `renderLabCharts`
 * @returns a complete HTML document
 *
 * @example
 * ```ts ignore
 * import { renderLabCharts, renderLabHtml } from "@netlab/netlab/lab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * await Deno.writeTextFile("report.html", renderLabHtml(result, await renderLabCharts(result)));
 * ```
 */
export function renderLabHtml(result: LabResult, charts: LabChart[]): string {
  const parts = [
    ...introHtml(result),
    ...chartsHtml(charts),
    ...runTablesHtml(result),
    ...summaryTablesHtml(result),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netlab lab report</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join("\n")}
</body>
</html>
`;
}

/** The title, the settings, a cut-short note, and how to read the rest. */
function introHtml(result: LabResult): string[] {
  const parts = [
    `<h1>netlab lab report</h1>`,
    `<p class="meta">${prose(describeSettings(result))}</p>`,
  ];
  const note = interruptedNote(result);
  if (note) {
    parts.push(`<p class="interrupted">${prose(note.replaceAll("**", ""))}</p>`);
  }
  parts.push(`<h2>How to read this</h2>`, `<p>${prose(howToRead(result))}</p>`);
  return parts;
}

/** The charts, the latency spectra in a section of their own. */
function chartsHtml(charts: LabChart[]): string[] {
  const parts = [`<h2>Charts</h2>`];
  const spectra = charts.filter((c) => c.id.startsWith("spectrum-"));
  parts.push(figuresHtml(charts.filter((c) => !spectra.includes(c))));
  if (spectra.length > 0) {
    parts.push(
      `<h2>Latency distributions</h2>`,
      `<p>${
        escapeHtml(
          "Each model's latency by percentile at each concurrency level, all runs together: x is 1/(1-p) on a log scale, as HdrHistogram's plotter and wrk2 draw it, so 0%, 90%, 99%, 99.9% are equally spaced and the tail gets as much room as the median; y is log scale.",
        )
      }</p>`,
      figuresHtml(spectra),
    );
  }
  return parts;
}

/** Each route's runs and their spread, then each model's median run per level. */
function runTablesHtml(result: LabResult): string[] {
  const parts: string[] = [];
  for (const route of new Set(result.cells.map((c) => c.route))) {
    const t = spreadTable(result, route);
    parts.push(`<h2>${escapeHtml(`Runs and their spread: ${route}`)}</h2>`, table(t.head, t.rows));
  }
  for (const g of groupCells(result.cells)) {
    parts.push(
      `<h2>${escapeHtml(`${MODEL_TITLES[g.model]}: ${g.route}`)}</h2>`,
      `<p><code>${escapeHtml(g.cells[0]!.url)}</code> (the median run of each level)</p>`,
      table(LAB_COLUMNS, runRows(g.cells.map(medianRun))),
    );
  }
  return parts;
}

/** The comparison, the balancer's connections, the references, the environment, the servers. */
function summaryTablesHtml(result: LabResult): string[] {
  const comparison = comparisonTable(result);
  const connections = connectionsTable(result);
  const references = referencesTable(result);
  const environment = environmentTable(result);
  return [
    `<h2>Comparison</h2>`,
    table(comparison.head, comparison.rows),
    `<h2>Connections per backend (from the balancer)</h2>`,
    connections
      ? table(connections.head, connections.rows)
      : `<p>${escapeHtml(NO_CONNECTIONS)}</p>`,
    `<h2>References</h2>`,
    table(references.head, references.rows),
    `<h2>Environment</h2>`,
    table(environment.head, environment.rows),
    `<h2>Servers</h2>`,
    table(
      ["server", "role", "address", "pid"],
      result.servers.map((v) => [v.name, v.role, v.address, v.pid]),
    ),
  ];
}
