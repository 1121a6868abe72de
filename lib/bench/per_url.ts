/**
 * The per-URL figures of a many-requests run taken across runs (or shards), and their tables:
 * counts summed, percentiles from the merged histograms, never averaged.
 *
 * @module
 */
import type { PerUrlResult } from "./result.ts";
import { PERCENTILES } from "./result.ts";
import { decodeHistogram, encodeHistogram } from "./_series.ts";

/**
 * Adds the per-URL figures of several runs, line by line.
 *
 * @param runs each run's `perUrl` (runs without one are skipped)
 * @param seconds the runs' load time together, for req/s
 * @returns one entry per line, or undefined when no run had any
 */
export function mergePerUrl(
  runs: ReadonlyArray<PerUrlResult[] | undefined>,
  seconds: number,
): PerUrlResult[] | undefined {
  const lists = runs.filter((r) => r !== undefined);
  if (lists.length === 0) return undefined;
  return lists[0]!.map((first, k) => {
    const rows = lists.map((l) => l[k]).filter((r) => r !== undefined);
    const merged = decodeHistogram("");
    const statusCodes: Record<string, number> = {};
    let complete = 0;
    let failed = 0;
    let non2xx = 0;
    let sum = 0;
    let max = 0;
    for (const r of rows) {
      merged.add(decodeHistogram(r.latencyHistogram));
      complete += r.complete;
      failed += r.failed;
      non2xx += r.non2xx;
      sum += r.meanMs * r.complete;
      max = Math.max(max, r.percentiles["100"] ?? 0);
      for (const [code, n] of Object.entries(r.statusCodes)) {
        statusCodes[code] = (statusCodes[code] ?? 0) + n;
      }
    }
    const percentiles: Record<string, number> = {};
    if (merged.totalCount > 0) {
      for (const p of PERCENTILES) {
        percentiles[String(p)] = p === 100
          ? max
          : Math.min(max, merged.getValueAtPercentile(p) / 1000);
      }
    }
    return {
      label: first.label,
      method: first.method,
      url: first.url,
      complete,
      failed,
      non2xx,
      requestsPerSecond: seconds > 0 ? complete / seconds : 0,
      meanMs: complete > 0 ? sum / complete : 0,
      percentiles,
      statusCodes,
      latencyHistogram: encodeHistogram(merged),
    };
  });
}

const ms = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3));

/**
 * The per-URL table of the ab report.
 *
 * @param rows per-URL figures
 * @returns the table, ending with a newline
 */
export function renderPerUrlText(rows: PerUrlResult[]): string {
  const width = Math.min(60, Math.max(7, ...rows.map((r) => r.label.length)));
  const head = `  ${"#".padStart(3)}  ${"Request".padEnd(width)} ${"Complete".padStart(9)} ${
    "Failed".padStart(7)
  } ${"Non-2xx".padStart(7)} ${"req/s".padStart(10)} ${"p50".padStart(9)} ${"p99".padStart(9)} ${
    "max".padStart(9)
  }\n`;
  let out = `\nPer URL (${rows.length} request lines; times in ms)\n${head}`;
  rows.forEach((r, k) => {
    const label = r.label.length > width ? `${r.label.slice(0, width - 1)}…` : r.label;
    const p = r.percentiles;
    out += `  ${String(k + 1).padStart(3)}  ${label.padEnd(width)} ${
      String(r.complete).padStart(9)
    } ${String(r.failed).padStart(7)} ${String(r.non2xx).padStart(7)} ${
      r.requestsPerSecond.toFixed(2).padStart(10)
    } ${ms(p["50"]).padStart(9)} ${ms(p["99"]).padStart(9)} ${ms(p["100"]).padStart(9)}\n`;
  });
  return out;
}

/**
 * The per-URL table in markdown.
 *
 * @param rows per-URL figures
 * @returns the table, ending with a newline
 */
export function renderPerUrlMarkdown(rows: PerUrlResult[]): string {
  const lines = [
    "| # | Request | Complete | Failed | Non-2xx | req/s | p50 (ms) | p99 (ms) | max (ms) |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  rows.forEach((r, k) => {
    const p = r.percentiles;
    lines.push(
      `| ${k + 1} | \`${
        r.label.replaceAll("|", "\\|")
      }\` | ${r.complete} | ${r.failed} | ${r.non2xx} | ${r.requestsPerSecond.toFixed(2)} | ${
        ms(p["50"])
      } | ${ms(p["99"])} | ${ms(p["100"])} |`,
    );
  });
  return `${lines.join("\n")}\n`;
}
