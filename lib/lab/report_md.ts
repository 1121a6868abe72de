/**
 * The lab's markdown report: one table per model in exactly the lab's columns, a short comparison
 * and the balancer's connections per backend. Pure functions over a {@link LabResult}.
 *
 * @module
 */
import { describeSettings, groupRuns } from "./_group.ts";
import { comparisonTable, connectionsTable, NO_CONNECTIONS, type Table } from "./_tables.ts";
import { renderMarkdown } from "../bench/render/markdown.ts";
import { type LabResult, MODEL_TITLES } from "./types.ts";

/** A markdown table: text columns left-aligned, numbers right-aligned. */
function markdownTable(t: Table): string {
  const row = (cells: string[]) => `|${cells.map((c) => (c === "" ? " " : ` ${c} `)).join("|")}|`;
  const align = t.head.map((_, i) => (i < t.textColumns ? "---" : "---:"));
  return [row(t.head), `|${align.join("|")}|`, ...t.rows.map(row)].join("\n");
}

/**
 * The comparison: best req/s per model (and where), p99 at the highest concurrency, failures.
 *
 * @param result a finished lab
 * @returns a markdown table, one row per model and route
 */
export function renderComparison(result: LabResult): string {
  return markdownTable(comparisonTable(result));
}

/**
 * How many connections the balancer sent to each backend: round-robin made visible.
 *
 * @param result a finished lab
 * @returns a markdown table, or a sentence when the balancer reported nothing
 */
export function renderConnections(result: LabResult): string {
  const table = connectionsTable(result);
  return table ? markdownTable(table) : NO_CONNECTIONS;
}

/**
 * The whole markdown report (report.md, and what `netlab lab` prints).
 *
 * @param result a finished lab
 * @returns markdown text ending with a newline
 *
 * @example
 * ```ts ignore
 * import { renderLabMarkdown } from "@netlab/netlab/lab";
 *
 * const result = JSON.parse(await Deno.readTextFile("lab-report/results.json"));
 * console.log(renderLabMarkdown(result));
 * ```
 */
export function renderLabMarkdown(result: LabResult): string {
  const out = ["# netlab lab report", "", describeSettings(result), ""];
  for (const group of groupRuns(result.runs)) {
    // bench's own renderer, so `netlab bench --format markdown` and the lab print the same table.
    const title = (url: string) => `## ${MODEL_TITLES[group.model]}: ${group.route}\n\n\`${url}\``;
    out.push(renderMarkdown(group.runs.map((r) => r.result), { title }));
  }
  out.push("## Comparison", "", renderComparison(result), "");
  out.push("## Connections per backend (from the balancer)", "", renderConnections(result), "");
  return out.join("\n");
}
