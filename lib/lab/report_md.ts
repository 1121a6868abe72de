/**
 * The lab's markdown report: how to read it, the spread of every cell (median, min-max, interval,
 * p50/p90/p99, client-bound flag), a table per model in exactly the lab's classic columns (its
 * median run per level), a comparison, the balancer's connections per backend, the references
 * and the environment. Pure functions over a {@link LabResult}.
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
  type Table,
} from "./_tables.ts";
import { renderMarkdown } from "../bench/render/markdown.ts";
import { type LabResult, MODEL_TITLES } from "./types.ts";
import { counted } from "../runtime/text.ts";

/** A markdown table: text columns left-aligned, numbers right-aligned. */
function markdownTable(t: Table): string {
  const row = (cells: string[]) => `|${cells.map((c) => (c === "" ? " " : ` ${c} `)).join("|")}|`;
  const align = t.head.map((_, i) => (i < t.textColumns ? "---" : "---:"));
  return [row(t.head), `|${align.join("|")}|`, ...t.rows.map(row)].join("\n");
}

/**
 * The comparison: best median req/s per model (and where), p99 at the highest concurrency,
 * failures.
 *
 * @param result a lab's result
 * @returns a markdown table, one row per model and route
 */
export function renderComparison(result: LabResult): string {
  return markdownTable(comparisonTable(result));
}

/**
 * How many connections the balancer sent to each backend: round-robin made visible.
 *
 * @param result a lab's result
 * @returns a markdown table, or a sentence when the balancer reported nothing
 */
export function renderConnections(result: LabResult): string {
  const table = connectionsTable(result);
  return table ? markdownTable(table) : NO_CONNECTIONS;
}

/** The banner of a lab that stopped early. */
export function interruptedNote(result: LabResult): string | undefined {
  if (result.interrupted === null) return undefined;
  const runs = result.cells.reduce((n, c) => n + c.runs.length, 0);
  return `**Interrupted:** ${result.interrupted}. This report holds the ${
    counted(runs, "run")
  } that finished.`;
}

/**
 * The whole markdown report (report.md, and what `netlab lab` prints).
 *
 * @param result a lab's result
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
  const note = interruptedNote(result);
  if (note) out.push(note, "");
  out.push("## How to read this", "", howToRead(result), "");
  for (const route of new Set(result.cells.map((c) => c.route))) {
    out.push(
      `## Runs and their spread: ${route}`,
      "",
      markdownTable(spreadTable(result, route)),
      "",
    );
  }
  for (const group of groupCells(result.cells)) {
    // bench's own renderer, so `netlab bench --format markdown` and the lab print the same table.
    const title = (url: string) =>
      `## ${
        MODEL_TITLES[group.model]
      }: ${group.route}\n\n\`${url}\` (the median run of each level)`;
    out.push(renderMarkdown(group.cells.map(medianRun), { title }));
  }
  out.push("## Comparison", "", renderComparison(result), "");
  out.push("## Connections per backend (from the balancer)", "", renderConnections(result), "");
  out.push("## References", "", markdownTable(referencesTable(result)), "");
  out.push("## Environment", "", markdownTable(environmentTable(result)), "");
  return out.join("\n");
}
