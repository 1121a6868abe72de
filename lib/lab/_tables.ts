/**
 * The report's tables as cells, so report.md and report.html show the same numbers formatted the
 * same way; each report only draws the grid. Also the sentences both reports share.
 *
 * @module
 */
import { compare, formatDuration, groupCells, percentile } from "./_group.ts";
import { type LabCell, type LabModel, type LabResult, MODEL_TITLES } from "./types.ts";

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

const ms = (n: number) => fixed(n, n < 10 ? 2 : 1);

/** "async" or "nginx (ref)": references are marked wherever a model is named. */
export function modelLabel(model: string, reference: boolean): string {
  return reference ? `${model} (ref)` : model;
}

/** The reference each of netlab's models is measured against. */
const REFERENCE_OF: Partial<Record<LabModel, LabModel[]>> = {
  async: ["nginx"],
  // With one pool worker there is no second nginx: the one-worker nginx is the pool's reference.
  pool: ["nginx-pool", "nginx"],
  balancer: ["haproxy"],
};

/** This cell's median req/s over its reference's at the same route and level, e.g. "0.87x". */
export function referenceRatio(result: LabResult, cell: LabCell): string {
  for (const model of REFERENCE_OF[cell.model] ?? []) {
    const ref = result.cells.find((c) =>
      c.model === model && c.route === cell.route && c.concurrency === cell.concurrency
    );
    if (!ref) continue;
    const base = ref.summary.requestsPerSecond.median;
    return base > 0
      ? `${(cell.summary.requestsPerSecond.median / base).toFixed(2)}x ${model}`
      : "-";
  }
  return "";
}

/**
 * Per route, every cell: median req/s with its spread (min-max and the 95% interval of the
 * median), p50/p90/p99, failures, run duration and whether the load generator was the bottleneck.
 */
export function spreadTable(result: LabResult, route: string): Table {
  const rows: string[][] = [];
  for (const g of groupCells(result.cells).filter((g) => g.route === route)) {
    for (const c of g.cells) {
      const rps = c.summary.requestsPerSecond;
      const spread = rps.median > 0
        ? `±${(50 * (rps.max - rps.min) / rps.median).toFixed(1)} %`
        : "-";
      rows.push([
        modelLabel(g.model, g.reference),
        String(c.concurrency),
        String(c.runs.length),
        fixed(rps.median, 0),
        `${fixed(rps.min, 0)}-${fixed(rps.max, 0)}`,
        spread,
        `${fixed(rps.ciLow, 0)}-${fixed(rps.ciHigh, 0)}`,
        ms(percentile(c, 50)),
        ms(percentile(c, 90)),
        ms(percentile(c, 99)),
        String(c.summary.failed),
        fixed(c.summary.runs ? medianSeconds(c.runs.map((r) => r.timeTakenSeconds)) : NaN, 2),
        `${fixed(c.client.cpuPercent, 0)} %${c.client.saturated ? " bound" : ""}`,
        referenceRatio(result, c),
      ]);
    }
  }
  return {
    head: [
      "model",
      "c",
      "runs",
      "req/s median",
      "min-max",
      "spread",
      "95% CI",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "failed",
      "run s",
      "client CPU",
      "vs ref",
    ],
    rows,
    textColumns: 1,
  };
}

function medianSeconds(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/**
 * Best median req/s per model (and where), that best against its reference's best on the same
 * route, p99 at the highest concurrency, failures.
 */
export function comparisonTable(result: LabResult): Table {
  const rows = compare(result);
  const multiRoute = new Set(rows.map((r) => r.route)).size > 1;
  const lead = multiRoute ? ["route", "model"] : ["model"];
  const bestVsReference = (r: (typeof rows)[number]): string => {
    for (const model of REFERENCE_OF[r.model] ?? []) {
      const ref = rows.find((x) => x.model === model && x.route === r.route);
      if (ref === undefined) continue;
      return ref.bestRequestsPerSecond > 0
        ? `${(r.bestRequestsPerSecond / ref.bestRequestsPerSecond).toFixed(2)}x ${model}`
        : "-";
    }
    return "";
  };
  return {
    head: [
      ...lead,
      "best req/s (median of runs)",
      "at concurrency",
      "best vs reference",
      "p99 at highest concurrency (ms)",
      "failed requests",
    ],
    rows: rows.map((r) => [
      ...(multiRoute ? [r.route] : []),
      modelLabel(r.model, r.reference),
      fixed(r.bestRequestsPerSecond, 2),
      String(r.bestAtConcurrency),
      bestVsReference(r),
      `${fixed(r.p99AtHighestMs, 2)} (c=${r.highestConcurrency})`,
      `${r.failed} of ${r.requests}`,
    ]),
    textColumns: lead.length,
  };
}

/**
 * Connections per backend (requests, when the balancer ran in http mode) with their share and a
 * total, or undefined when there are none.
 */
export function connectionsTable(result: LabResult): Table | undefined {
  if (result.connections.length === 0) return undefined;
  const total = result.connections.reduce((n, b) => n + b.connections, 0);
  return {
    head: [
      "backend",
      result.settings.balancerMode === "http" ? "requests" : "connections",
      "share",
    ],
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

/** Where the lab ran: load, client CPU, engines, dispatch, duration. */
export function environmentTable(result: LabResult): Table {
  const e = result.environment;
  const s = result.settings;
  const load = (l: number[]) => (l.length ? l.map((x) => x.toFixed(2)).join(" ") : "unknown");
  const busiest = Math.max(0, ...result.cells.map((c) => c.client.cpuPercent));
  const bound = result.cells.filter((c) => c.client.saturated).length;
  return {
    head: ["environment", ""],
    rows: [
      ["load average (1, 5, 15 min) at start", load(e.loadAverageStart)],
      ["load average at end", load(e.loadAverageEnd)],
      ["busiest client CPU (per bench thread)", `${busiest.toFixed(0)} %`],
      ["client-bound cells", `${bound} of ${result.cells.length}`],
      ["bench engine", `${s.engine}, ${e.benchThreads} thread${e.benchThreads === 1 ? "" : "s"}`],
      ["pool", `${s.workers} workers, ${e.poolDispatch ?? "unknown"} dispatch`],
      ["machine", `${e.os} ${e.arch}, ${e.cpus} CPUs, Deno ${e.deno}, V8 ${e.v8}`],
      ["lab duration", formatDuration(result.durationMs)],
    ],
    textColumns: 2,
  };
}

/** The references: which ran, and how to install a missing one. */
export function referencesTable(result: LabResult): Table {
  return {
    head: ["reference", "status", "rows"],
    rows: result.anchors.map((a) => [
      a.name,
      a.status === "used"
        ? "measured"
        : a.status === "missing"
        ? `not installed: ${a.install}`
        : "not asked for (--anchors)",
      a.name === "nginx"
        ? `${MODEL_TITLES.nginx}; ${MODEL_TITLES["nginx-pool"]}`
        : MODEL_TITLES.haproxy,
    ]),
    textColumns: 3,
  };
}

/** What both reports say when the balancer reported no connections. */
export const NO_CONNECTIONS = "The balancer reported no connections.";

/** The short guide both reports print above the numbers. */
export function howToRead(result: LabResult): string {
  const s = result.settings;
  return [
    `Every cell (a server at one concurrency level) ran ${s.repeat} time${
      s.repeat === 1 ? "" : "s"
    }, the servers taking turns in a rotating order so a drift of the machine hits all alike.`,
    "The req/s shown is the median of those runs; min-max is the lowest and highest run and",
    '"spread" half that range against the median; the 95% CI is a bootstrap interval for the',
    "median (95% CI). Two models whose intervals overlap are not shown to differ: run more (--repeat) or",
    "compare two labs' results.json with `netlab bench compare`. Latency percentiles count",
    "every request of every run (the runs' histograms merged). Rows marked (ref) are references (nginx, HAProxy) on the same",
    'machine, files and backends, run in the same turns: the "vs ref" ratio (netlab\'s',
    'median over the reference\'s) says more than raw req/s. "bound" after the client CPU',
    "means the load generator was the limit (its threads or its busiest thread 90% busy, or 60% of",
    "the machine's CPUs taken), so it, not the server, set the pace. On the CPU route no server can pass the ceiling of CPUs x 1000 / ms per",
    "request.",
  ].join(" ");
}
