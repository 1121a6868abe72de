/**
 * The comparison and connections tables as cells, so report.md and report.html show the same
 * numbers formatted the same way; each report only draws the grid.
 *
 * @module
 */
import { compare } from "./_group.ts";
import type { LabResult } from "./types.ts";

/** A table's cells; the first `textColumns` columns are text, the rest numbers. */
export interface Table {
  head: string[];
  rows: string[][];
  textColumns: number;
}

/** A number with a fixed number of decimals, or "-" when there is none (no request completed). */
function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/** Best req/s per model (and where), p99 at the highest concurrency, failures. */
export function comparisonTable(result: LabResult): Table {
  const rows = compare(result);
  const multiRoute = new Set(rows.map((r) => r.route)).size > 1;
  const lead = multiRoute ? ["route", "model"] : ["model"];
  return {
    head: [
      ...lead,
      "best req/s",
      "at concurrency",
      "p99 at highest concurrency (ms)",
      "failed requests",
    ],
    rows: rows.map((r) => [
      ...(multiRoute ? [r.route, r.model] : [r.model]),
      fixed(r.bestRequestsPerSecond, 2),
      String(r.bestAtConcurrency),
      `${fixed(r.p99AtHighestMs, 2)} (c=${r.highestConcurrency})`,
      `${r.failed} of ${r.requests}`,
    ]),
    textColumns: lead.length,
  };
}

/** Connections per backend with their share and a total, or undefined when there are none. */
export function connectionsTable(result: LabResult): Table | undefined {
  if (result.connections.length === 0) return undefined;
  const total = result.connections.reduce((n, b) => n + b.connections, 0);
  return {
    head: ["backend", "connections", "share"],
    rows: [
      ...result.connections.map((b) => [
        b.backend,
        String(b.connections),
        total > 0 ? `${(100 * b.connections / total).toFixed(1)} %` : "-",
      ]),
      ["total", String(total), ""],
    ],
    textColumns: 1,
  };
}

/** What both reports say when the balancer reported no connections. */
export const NO_CONNECTIONS = "The balancer reported no connections.";
