/**
 * ab's report, line by line, with ab's definitions and printf formats; then what ab lacks (status
 * codes, errors by cause, p99.9 and p99.99). Lines the engine cannot measure say so.
 *
 * @module
 */
import type { BenchResult, TimingStats, TlsResult } from "../result.ts";

const pad = (label: string) => label.padEnd(24);
/** ab's ap_round_ms: microseconds to whole milliseconds, rounding half up. */
const ms = (v: number) => Math.floor(v + 0.5);
const int = (v: number, width: number) => String(v).padStart(width);

/**
 * printf's "%.Nf": like toFixed, except that exact ties round to even as glibc does
 * (toFixed(1) turns 1.25 into "1.3"; printf prints "1.2").
 */
export function printfFixed(x: number, digits: number): string {
  const exact = x.toFixed(Math.min(100, digits + 60));
  const cut = exact.indexOf(".") + 1 + digits;
  if (/^50*$/.test(exact.slice(cut))) {
    const down = exact.slice(0, digits === 0 ? cut - 1 : cut);
    const last = Number(down.at(-1));
    if (last % 2 === 0) return down;
  }
  return x.toFixed(digits);
}

/**
 * One time of the percentile table: whole ms as ab prints them from 10 ms up; below, two decimals,
 * or at keep-alive speeds every row from p50 to p98 would read 0.
 */
function percentileCell(v: number): string {
  return v < 9.995 ? v.toFixed(2).padStart(5) : int(ms(v), 5);
}

/** ab's "%5d %4d %5.1f %6d %7d" row of the Connection Times table. */
function timesRow(label: string, t: TimingStats | null): string {
  if (t === null) return `${label.padEnd(12)}  n/a (the fetch engine cannot see it)\n`;
  return `${label.padEnd(12)}${int(ms(t.min), 5)} ${int(ms(t.mean), 4)} ${
    printfFixed(t.sd, 1).padStart(5)
  } ${int(ms(t.median), 6)} ${int(ms(t.max), 7)}\n`;
}

/** ab's warning when mean and median disagree more than the deviation allows. */
function sane(what: string, t: TimingStats | null): string {
  if (t === null) return "";
  const d = Math.abs(ms(t.mean) - ms(t.median));
  if (d > 2 * t.sd) {
    return `ERROR: The median and mean for ${what} are more than twice the standard\n` +
      "       deviation apart. These results are NOT reliable.\n";
  }
  if (d > t.sd) {
    return `WARNING: The median and mean for ${what} are not within a normal deviation\n` +
      "        These results are probably not that reliable.\n";
  }
  return "";
}

/**
 * Renders `r` as ab prints it, from "Server Software:" on, followed by netlab's extra sections.
 *
 * @param r a bench result
 * @returns the report text, ending with a newline
 *
 * @example
 * ```ts
 * import { bench, renderAb } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const report = renderAb(await bench({ url, requests: 10 }));
 * assert.match(report, /^Complete requests:\s+10$/m);
 * ```
 */
export function renderAb(r: BenchResult): string {
  return serverLines(r) + countLines(r) + rateLines(r) + timesTable(r.connectionTimes) +
    percentileTable(r) + renderExtras(r);
}

/** Server and document: from "Server Software:" to "Document Length:". */
function serverLines(r: BenchResult): string {
  let out = "";
  out += `${pad("Server Software:")}${r.serverSoftware}\n`;
  out += `${pad("Server Hostname:")}${r.hostname}\n`;
  out += `${pad("Server Port:")}${r.port}\n`;
  if (r.tls?.protocol) out += `${pad("SSL/TLS Protocol:")}${r.tls.protocol},${r.tls.cipher}\n`;
  out += "\n";
  out += `${pad("Document Path:")}${r.path}\n`;
  out += `${pad("Document Length:")}${
    r.documentLength === null
      ? (r.complete > 0 ? "Variable" : "0 bytes")
      : `${r.documentLength} bytes`
  }\n\n`;
  return out;
}

/** What was done: from "Concurrency Level:" to "HTML transferred:". */
function countLines(r: BenchResult): string {
  let out = "";
  out += `${pad("Concurrency Level:")}${r.concurrency}\n`;
  out += `${pad("Time taken for tests:")}${printfFixed(r.timeTakenSeconds, 3)} seconds\n`;
  out += `${pad("Complete requests:")}${r.complete}\n`;
  out += `${pad("Failed requests:")}${r.failed}\n`;
  if (r.failed > 0) {
    const f = r.failures;
    out +=
      `   (Connect: ${f.connect}, Receive: ${f.receive}, Length: ${f.length}, Exceptions: ${f.exceptions})\n`;
  }
  if (r.non2xx > 0) out += `${pad("Non-2xx responses:")}${r.non2xx}\n`;
  if (r.keepAliveRequested) out += `${pad("Keep-Alive requests:")}${r.keepAliveRequests}\n`;
  out += `${pad("Total transferred:")}${r.totalTransferred} bytes${
    r.totalTransferredExact ? "" : " (headers reconstructed: the fetch engine cannot see the wire)"
  }\n`;
  if (r.totalBodySent > 0) {
    out += `${pad("Total body sent:")}${r.totalBodySent}${
      r.totalTransferredExact ? "" : " (bodies only: the fetch engine cannot see request heads)"
    }\n`;
  }
  out += `${pad("HTML transferred:")}${r.htmlTransferred} bytes\n`;
  return out;
}

/** How fast: requests per second, time per request, transfer rate (none for an empty run). */
function rateLines(r: BenchResult): string {
  if (!(r.timeTakenSeconds > 0 && r.complete > 0)) return "";
  let out = "";
  out += `${pad("Requests per second:")}${printfFixed(r.requestsPerSecond, 2)} [#/sec] (mean)\n`;
  out += `${pad("Time per request:")}${printfFixed(r.timePerRequestMs, 3)} [ms] (mean)\n`;
  out += `${pad("Time per request:")}${
    printfFixed(r.timePerRequestAllMs, 3)
  } [ms] (mean, across all concurrent requests)\n`;
  out += `${pad("Transfer rate:")}${printfFixed(r.transferRateKBps, 2)} [Kbytes/sec] received\n`;
  if (r.totalBodySent > 0) {
    const sentK = r.totalBodySent / 1024 / r.timeTakenSeconds;
    out += `${"".padEnd(24)}${sentK.toFixed(2)} kb/s sent\n`;
    out += `${"".padEnd(24)}${
      (sentK + r.totalTransferred / 1024 / r.timeTakenSeconds).toFixed(2)
    } kb/s total\n`;
  }
  return out;
}

/** ab's Connection Times table with its reliability warnings (none when nothing was timed). */
function timesTable(t: BenchResult["connectionTimes"]): string {
  if (t === null) return "";
  let out = "";
  out += "\nConnection Times (ms)\n";
  out += "              min  mean[+/-sd] median   max\n";
  out += timesRow("Connect:", t.connect);
  out += timesRow("Processing:", t.processing);
  out += timesRow("Waiting:", t.waiting);
  out += timesRow("Total:", t.total);
  if (t.connect === null) out += "(fetch engine: Waiting counts from the start of the request)\n";
  out += sane("the initial connection time", t.connect);
  out += sane("the processing time", t.processing);
  out += sane("the waiting time", t.waiting);
  out += sane("the total time", t.total);
  return out;
}

/** ab's percentile table, p50 to p100 (none for a single request). */
function percentileTable(r: BenchResult): string {
  if (r.complete <= 1) return "";
  let out = "\nPercentage of the requests served within a certain time (ms)\n";
  for (const p of ["50", "66", "75", "80", "90", "95", "98", "99"]) {
    out += `  ${p}%  ${percentileCell(r.percentiles[p] ?? 0)}\n`;
  }
  out += ` 100%  ${percentileCell(r.percentiles["100"] ?? 0)} (longest request)\n`;
  return out;
}

/** `TLS handshakes: 60 (57 resumed), 1.234 ms mean (0.801-3.020), part of Connect` */
function tlsLine(t: TlsResult): string {
  const resumed = t.resumed === null ? "" : ` (${t.resumed} resumed)`;
  const ms = t.handshakeMs;
  return `TLS handshakes: ${t.handshakes}${resumed}, ${ms.mean.toFixed(3)} ms mean (${
    ms.min.toFixed(3)
  }-${ms.max.toFixed(3)}), part of Connect`;
}

/** netlab's additions after ab's report. */
function renderExtras(r: BenchResult): string {
  let out = "\n";
  if (r.complete > 1) {
    out += "Beyond ab: tail latency (ms)\n";
    out += ` 99.9%  ${(r.percentiles["99.9"] ?? 0).toFixed(3).padStart(9)}\n`;
    out += `99.99%  ${(r.percentiles["99.99"] ?? 0).toFixed(3).padStart(9)}\n\n`;
  }
  if (r.tls !== undefined) out += `${tlsLine(r.tls)}\n\n`;
  const codes = Object.entries(r.statusCodes);
  if (codes.length > 0) {
    out += "Status codes\n";
    for (const [code, n] of codes) out += `  ${code}  ${int(n, 10)}\n`;
    out += "\n";
  }
  const errors = Object.entries(r.errors);
  if (errors.length > 0) {
    out += "Errors by cause\n";
    for (const [cause, n] of errors) out += `  ${int(n, 10)}  ${cause}\n`;
    out += "\n";
  }
  const notes: string[] = [`engine ${r.engine}${r.threads > 1 ? ` on ${r.threads} threads` : ""}`];
  if (r.rate !== null) {
    notes.push(`open model at ${r.rate} req/s, latency measured from when each request was due`);
  }
  if (r.timedOut) notes.push("stopped: a request timed out (-s)");
  if (r.interrupted) notes.push("interrupted: the report covers the requests done so far");
  out += `Notes: ${notes.join("; ")}\n`;
  return out;
}
