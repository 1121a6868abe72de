/**
 * The report of `netlab bench compare`: one block per paired cell, NEW/BASE with intervals and the
 * verdict.
 *
 * @module
 */
import type { CellComparison, Comparison, Ratio } from "../compare.ts";
import { counted } from "../../runtime/text.ts";

function ratioText(r: Ratio, unit: string, digits: number): string {
  const ci = r.interval === null
    ? ""
    : ` [95% CI ${r.interval.low.toFixed(2)}-${r.interval.high.toFixed(2)}]`;
  return `${r.base.toFixed(digits)} -> ${r.next.toFixed(digits)} ${unit}  ${
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : "n/a"
  }${ci}`;
}

function cellText(c: CellComparison): string {
  const how = c.method === "runs"
    ? "Mann-Whitney U over the runs' req/s"
    : "Mann-Whitney U over the latency histograms; --repeat 5 or more on both sides tests req/s";
  return `${c.key}\n` +
    `  req/s   ${ratioText(c.requestsPerSecond, "", 2)}\n` +
    `  p50     ${ratioText(c.p50, "ms", 3)}\n` +
    `  p99     ${ratioText(c.p99, "ms", 3)}\n` +
    `  verdict ${c.verdict} (p = ${
      c.p < 0.0001 ? c.p.toExponential(1) : c.p.toFixed(4)
    }, ${how})\n`;
}

/**
 * Renders a comparison as text.
 *
 * @param comparison from `compareReports()`
 * @returns the report, ending with a newline
 */
export function renderBenchComparison(comparison: Comparison): string {
  let out = comparison.cells.map(cellText).join("\n");
  for (const k of comparison.onlyInBase) out += `\nonly in BASE: ${k}\n`;
  for (const k of comparison.onlyInNew) out += `\nonly in NEW: ${k}\n`;
  const counts = { faster: 0, slower: 0, same: 0 };
  for (const c of comparison.cells) {
    if (c.verdict === "faster") counts.faster++;
    else if (c.verdict === "slower") counts.slower++;
    else counts.same++;
  }
  out += `\n${
    counted(comparison.cells.length, "cell")
  }: ${counts.faster} faster, ${counts.slower} slower, ${counts.same} no significant difference\n`;
  return out;
}
