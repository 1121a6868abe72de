/**
 * The lab's markdown report: one table per model in exactly the lab's columns, a short comparison
 * and the balancer's connections per backend. Pure functions over a {@link LabResult}.
 *
 * @module
 */
import { compare, describeSettings, groupRuns } from "./_group.ts";
import { renderMarkdown } from "../bench/render/markdown.ts";
import { type LabResult, MODEL_TITLES } from "./types.ts";

/** A number with thousands left alone and a fixed number of decimals. */
function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/**
 * The comparison: best req/s per model (and where), p99 at the highest concurrency, failures.
 *
 * @param result a finished lab
 * @returns a markdown table, one row per model and route
 */
export function renderComparison(result: LabResult): string {
  const rows = compare(result);
  const multiRoute = new Set(rows.map((r) => r.route)).size > 1;
  const head = multiRoute ? "| route | model |" : "| model |";
  const lines = [
    `${head} best req/s | at concurrency | p99 at highest concurrency (ms) | failed requests |`,
    `|${multiRoute ? "---|" : ""}---|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const lead = multiRoute ? `| ${r.route} | ${r.model} |` : `| ${r.model} |`;
    lines.push(
      `${lead} ${fixed(r.bestRequestsPerSecond, 2)} | ${r.bestAtConcurrency} | ${
        fixed(r.p99AtHighestMs, 2)
      } (c=${r.highestConcurrency}) | ${r.failed} of ${r.requests} |`,
    );
  }
  return lines.join("\n");
}

/**
 * How many connections the balancer sent to each backend: round-robin made visible.
 *
 * @param result a finished lab
 * @returns a markdown table, or a sentence when the balancer reported nothing
 */
export function renderConnections(result: LabResult): string {
  if (result.connections.length === 0) return "The balancer reported no connections.";
  const total = result.connections.reduce((n, b) => n + b.connections, 0);
  const lines = ["| backend | connections | share |", "|---|---:|---:|"];
  for (const b of result.connections) {
    const share = total > 0 ? `${(100 * b.connections / total).toFixed(1)} %` : "-";
    lines.push(`| ${b.backend} | ${b.connections} | ${share} |`);
  }
  lines.push(`| total | ${total} | |`);
  return lines.join("\n");
}

/**
 * The whole markdown report (report.md, and what `netlab lab` prints).
 *
 * @param result a finished lab
 * @returns markdown text ending with a newline
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
