/**
 * k6-style thresholds for `netlab bench --assert`: `p99<20ms`, `p50<=5ms`, `rps>5000`,
 * `failed=0`, `errors<1%`. Parsed up front (a malformed one is a usage error before any load is
 * sent), checked against every cell's summary afterwards.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { BenchCell } from "./cell.ts";
import { PERCENTILES } from "./result.ts";

/** A comparison operator. */
export type AssertionOperator = "<" | "<=" | ">" | ">=" | "=" | "!=";

/** What an assertion measures. */
export type AssertionMetric =
  | { kind: "latency"; percentile: string }
  | { kind: "mean" }
  | { kind: "rps" }
  | { kind: "failed"; percent: boolean }
  | { kind: "complete" };

/** A parsed assertion; `value` is in ms for latencies, percent for `%`, else plain. */
export interface Assertion {
  /** The text as given. */
  text: string;
  metric: AssertionMetric;
  operator: AssertionOperator;
  value: number;
}

/** One assertion checked against one cell. */
export interface AssertionOutcome {
  assertion: Assertion;
  /** The cell's URL and concurrency, as "c=10 http://...". */
  cell: string;
  /** The measured value, in the assertion's unit. */
  actual: number;
  /** The unit printed after values: "ms", "%", "req/s" or "". */
  unit: string;
  held: boolean;
}

const PATTERN = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|!=|==|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*([a-z%/]*)\s*$/i;
const LATENCY_UNITS: Record<string, number> = { "": 1, ms: 1, s: 1000, us: 0.001, "µs": 0.001 };
const HINT = "expected e.g. p99<20ms, p50<=5ms, mean<10ms, rps>5000, failed=0, errors<1%";

/** Parses one `--assert` expression; throws UsageError when it is malformed. */
export function parseAssertion(text: string): Assertion {
  const m = PATTERN.exec(text);
  if (m === null) throw new UsageError(`Invalid assertion "${text}": ${HINT}`);
  const name = m[1]!.toLowerCase();
  const operator = (m[2] === "==" ? "=" : m[2]) as AssertionOperator;
  const number = Number(m[3]);
  const unit = m[4]!.toLowerCase();
  const bad = (why: string) => new UsageError(`Invalid assertion "${text}": ${why}`);
  const latency = (metric: AssertionMetric): Assertion => {
    const scale = LATENCY_UNITS[unit];
    if (scale === undefined) throw bad(`unknown time unit "${m[4]}" (use ms, s or us)`);
    return { text, metric, operator, value: number * scale };
  };
  if (name === "mean" || name === "avg") return latency({ kind: "mean" });
  if (name === "max") return latency({ kind: "latency", percentile: "100" });
  if (name.startsWith("p")) {
    const p = name.slice(1);
    if (!(PERCENTILES as readonly number[]).map(String).includes(p)) {
      throw bad(`unknown percentile "${name}" (use one of ${PERCENTILES.map((x) => `p${x}`)})`);
    }
    return latency({ kind: "latency", percentile: p });
  }
  if (name === "rps" || name === "reqs") {
    if (unit !== "" && unit !== "/s") throw bad(`rps takes no unit, got "${m[4]}"`);
    return { text, metric: { kind: "rps" }, operator, value: number };
  }
  if (name === "failed" || name === "errors") {
    if (unit !== "" && unit !== "%") throw bad(`${name} takes a count or a percentage`);
    return { text, metric: { kind: "failed", percent: unit === "%" }, operator, value: number };
  }
  if (name === "complete") {
    if (unit !== "") throw bad("complete takes a count");
    return { text, metric: { kind: "complete" }, operator, value: number };
  }
  throw bad(`unknown metric "${m[1]}" (${HINT})`);
}

function compare(a: number, op: AssertionOperator, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "=":
      return a === b;
    default:
      return a !== b;
  }
}

function measure(metric: AssertionMetric, cell: BenchCell): { actual: number; unit: string } {
  const s = cell.summary;
  switch (metric.kind) {
    case "latency":
      // No completed request: no latency at all, which must not pass "p99<20ms".
      return { actual: s.percentiles[metric.percentile] ?? Infinity, unit: "ms" };
    case "mean":
      return { actual: s.complete > 0 ? s.meanLatencyMs : Infinity, unit: "ms" };
    case "rps":
      return { actual: s.requestsPerSecond.median, unit: "req/s" };
    case "complete":
      return { actual: s.complete, unit: "" };
    case "failed": {
      if (!metric.percent) return { actual: s.failed, unit: "" };
      const total = s.complete + s.failed;
      return { actual: total === 0 ? 100 : (100 * s.failed) / total, unit: "%" };
    }
  }
}

/** Checks every assertion against every cell. */
export function checkAssertions(assertions: Assertion[], cells: BenchCell[]): AssertionOutcome[] {
  const out: AssertionOutcome[] = [];
  for (const cell of cells) {
    for (const assertion of assertions) {
      const { actual, unit } = measure(assertion.metric, cell);
      out.push({
        assertion,
        cell: `c=${cell.concurrency} ${cell.url}`,
        actual,
        unit,
        held: compare(actual, assertion.operator, assertion.value),
      });
    }
  }
  return out;
}

/** The report's closing section: each assertion, per cell, and whether it held. */
export function renderAssertions(outcomes: AssertionOutcome[]): string {
  if (outcomes.length === 0) return "";
  const width = Math.max(...outcomes.map((o) => o.assertion.text.length));
  let out = "\nAssertions\n";
  for (const o of outcomes) {
    const value = Number.isFinite(o.actual)
      ? `${Number.isInteger(o.actual) ? o.actual : o.actual.toFixed(3)}${
        o.unit ? ` ${o.unit}` : ""
      }`
      : "none measured";
    out += `  ${o.held ? "ok    " : "FAILED"}  ${
      o.assertion.text.padEnd(width)
    }  (${value})  ${o.cell}\n`;
  }
  const failed = outcomes.filter((o) => !o.held).length;
  out += failed === 0
    ? `All ${outcomes.length} assertions held\n`
    : `${failed} of ${outcomes.length} assertions failed\n`;
  return out;
}
