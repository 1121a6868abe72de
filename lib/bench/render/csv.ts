/**
 * CSV output: one row per run, the markdown columns plus percentiles, status codes and errors.
 *
 * @module
 */
import { type BenchResult, PERCENTILES } from "../result.ts";

const COLUMNS: Array<[string, (r: BenchResult) => string | number]> = [
  ["url", (r) => r.url],
  ["engine", (r) => r.engine],
  ["concurrency", (r) => r.concurrency],
  ["threads", (r) => r.threads],
  ["keep_alive", (r) => String(r.keepAliveRequested)],
  ["time_taken_s", (r) => r.timeTakenSeconds.toFixed(3)],
  ["complete", (r) => r.complete],
  ["failed", (r) => r.failed],
  ["failed_connect", (r) => r.failures.connect],
  ["failed_receive", (r) => r.failures.receive],
  ["failed_length", (r) => r.failures.length],
  ["failed_exceptions", (r) => r.failures.exceptions],
  ["non_2xx", (r) => r.non2xx],
  ["keep_alive_requests", (r) => r.keepAliveRequests],
  ["total_transferred_bytes", (r) => r.totalTransferred],
  ["html_transferred_bytes", (r) => r.htmlTransferred],
  ["requests_per_second", (r) => r.requestsPerSecond.toFixed(2)],
  ["time_per_request_ms", (r) => r.timePerRequestMs.toFixed(3)],
  ["time_per_request_all_ms", (r) => r.timePerRequestAllMs.toFixed(3)],
  ["transfer_rate_kbps", (r) => r.transferRateKBps.toFixed(2)],
  ...PERCENTILES.map((p): [string, (r: BenchResult) => string] => [
    `p${String(p).replace(".", "_")}_ms`,
    (r) => (r.percentiles[String(p)] ?? 0).toFixed(3),
  ]),
  ["status_codes", (r) => Object.entries(r.statusCodes).map(([k, v]) => `${k}:${v}`).join(" ")],
  ["errors", (r) => Object.entries(r.errors).map(([k, v]) => `${k}:${v}`).join("; ")],
];

function cell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Renders results as CSV with a header row.
 *
 * @param results one or more bench results
 * @returns CSV text ending with a newline
 *
 * @example
 * ```ts
 * import { bench, renderCsv } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const csv = renderCsv([await bench({ url, requests: 10 })]);
 * assert.equal(csv.trim().split("\n").length, 2);
 * ```
 */
export function renderCsv(results: BenchResult[]): string {
  const lines = [COLUMNS.map(([name]) => name).join(",")];
  for (const r of results) lines.push(COLUMNS.map(([, get]) => cell(get(r))).join(","));
  return `${lines.join("\n")}\n`;
}
