import assert from "node:assert/strict";
import {
  interruptedNote,
  renderComparison,
  renderConnections,
  renderLabMarkdown,
} from "../../lib/lab/report_md.ts";
import { escapeHtml, renderLabHtml } from "../../lib/lab/report_html.ts";
import { comparisonTable, spreadTable } from "../../lib/lab/_tables.ts";
import { cell, sampleResult } from "./_fixture.ts";

const LAB_HEADER =
  "| No test | Concurrency level | Time taken for test (seconds) | Complete request | Failed request | Total transferred (bytes) | Request per second | Time per request (ms) | Transfer rate (Kbytes/sec) |";

Deno.test("renderLabMarkdown() prints the spread, then one table per model in the lab's columns", () => {
  const md = renderLabMarkdown(sampleResult());
  const headers = md.split("\n").filter((l) => l === LAB_HEADER);
  assert.equal(headers.length, 3);
  const sections = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, [
    "How to read this",
    "Runs and their spread: /page.html",
    "Async server (one event loop): /page.html",
    "Worker pool: /page.html",
    "Balancer in front of the async servers: /page.html",
    "Comparison",
    "Connections per backend (from the balancer)",
    "References",
    "Environment",
  ]);
  // Each classic table has one numbered row per level: the median run of the three.
  const table = md.split("## Worker pool")[1]!.split("##")[0]!;
  const rows = table.split("\n").filter((l) => /^\| \d/.test(l));
  assert.deepEqual(rows.map((r) => r.split("|")[1]!.trim()), ["1", "2", "3"]);
  assert.deepEqual(rows.map((r) => r.split("|")[2]!.trim()), ["1", "10", "50"]);
  assert.match(rows[1]!, /\| 6100\.00 \|/);
  assert.match(rows[2]!, /\| 999 \| 1 \|/);
  assert.doesNotMatch(md, /Interrupted/);
  assert.match(md, /not installed: apt-get install nginx/);
  assert.match(md, /load average \(1, 5, 15 min\) at start \| 0\.50 0\.40 0\.30 \|/);
});

Deno.test("spreadTable() gives the median, range, interval, p50/p90/p99 and the client flag", () => {
  const result = sampleResult();
  result.cells.push(cell("nginx", 1, [9000, 9100, 9300], 0.5));
  result.cells[0]!.runs[2]!.client = { cpuPercent: 95, saturated: true };
  result.cells[0]!.client = { cpuPercent: 95, saturated: true };
  const t = spreadTable(result, "/page.html");
  assert.deepEqual(t.head.slice(0, 10), [
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
  ]);
  assert.deepEqual(t.rows[0]!.slice(0, 7), [
    "async",
    "1",
    "3",
    "1800",
    "1750-1820",
    "±1.9 %",
    "1750-1820",
  ]);
  assert.equal(t.rows[0]!.at(-2), "95 % bound");
  // The reference sits right after async, marked as one; async's ratio to it at c=1.
  assert.equal(t.rows[3]![0], "nginx (ref)");
  assert.equal(t.rows[0]!.at(-1), "0.198x nginx".replace("0.198", (1800 / 9100).toFixed(2)));
  assert.equal(t.rows[1]!.at(-1), "", "no nginx cell at c=10");
  assert.equal(t.rows[3]!.at(-1), "");
});

Deno.test("renderLabMarkdown() marks an interrupted lab and keeps what finished", () => {
  const result = { ...sampleResult(), interrupted: "The balancer stopped during the lab" };
  const md = renderLabMarkdown(result);
  assert.match(
    md,
    /\*\*Interrupted:\*\* The balancer stopped during the lab\. This report holds the 27 runs/,
  );
  assert.match(renderLabHtml(result, []), /<p class="interrupted">Interrupted: The balancer/);
});

Deno.test("renderComparison() gives best median req/s, p99 at the highest level and failures", () => {
  const lines = renderComparison(sampleResult()).split("\n");
  assert.equal(lines.length, 5);
  assert.equal(lines[2], "| async | 5200.00 | 10 | | 21.50 (c=50) | 0 of 9000 |");
  assert.equal(lines[3], "| pool | 6100.00 | 10 | | 18.25 (c=50) | 3 of 9000 |");
  assert.equal(lines[4], "| balancer | 4100.00 | 50 | | 30.75 (c=50) | 0 of 9000 |");
});

Deno.test("comparisonTable() gives each model's best against its reference's best", () => {
  const result = sampleResult();
  result.cells.push(cell("nginx", 10, [10000, 10400, 10200], 0.5));
  const t = comparisonTable(result);
  assert.equal(t.head[3], "best vs reference");
  const row = (model: string) => t.rows.find((r) => r[0] === model)!;
  assert.equal(row("async")[3], "0.51x nginx"); // 5200 / 10200
  assert.equal(row("pool")[3], "0.60x nginx"); // no nginx-pool: the one-worker nginx
  assert.equal(row("balancer")[3], ""); // no HAProxy in this lab
});

Deno.test("renderComparison() adds a route column when the CPU route was measured", () => {
  const result = sampleResult();
  result.cells.push(cell("async", 1, [190, 185, 200], 9, 0, "/_netlab/work?ms=5"));
  const text = renderComparison(result);
  assert.match(text, /^\| route \| model \|/);
  assert.match(text, /\| \/_netlab\/work\?ms=5 \| async \| 190\.00 \| 1 \|/);
});

Deno.test("renderConnections() shows each backend's count and share", () => {
  const lines = renderConnections(sampleResult()).split("\n");
  assert.equal(lines[2], "| 127.0.0.1:9002 | 750 | 25.0 % |");
  assert.equal(lines.at(-1), "| total | 3000 | |");
  const none = { ...sampleResult(), connections: [] };
  assert.equal(renderConnections(none), "The balancer reported no connections.");
});

Deno.test("renderLabHtml() inlines the charts and escapes text", () => {
  const result = sampleResult();
  result.cells[0]!.url = "http://127.0.0.1:45000/page.html?<x>";
  const html = renderLabHtml(result, [{
    id: "c1",
    title: "A & B",
    svg: "<svg><path d='M0'/></svg>",
  }]);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<figure class="chart" id="c1"><figcaption>A &#38; B<\/figcaption>\n<svg>/);
  assert.match(html, /page\.html\?&#60;x&#62;/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!127\.0\.0\.1)/);
  assert.equal(html.match(/<th>No test<\/th>/g)?.length, 3);
  assert.match(html, /<h2>How to read this<\/h2>/);
  assert.match(
    html,
    /<tr><td>balancer<\/td><td>balancer<\/td><td>127\.0\.0\.1:44444<\/td><td>103<\/td><\/tr>/,
  );
  assert.equal(escapeHtml(`"'&<>`), "&#34;&#39;&#38;&#60;&#62;");
});

Deno.test("renderLabHtml() shows the comparison and connections as report.md does", () => {
  const result = sampleResult();
  // The async server's cell at the highest level completed nothing: it has no p99.
  const last = result.cells.findLast((c) => c.model === "async")!;
  last.summary.percentiles = {};
  const html = renderLabHtml(result, []);
  assert.doesNotMatch(html, /NaN/);
  assert.match(
    html,
    /<tr><td>async<\/td><td>[\d.]+<\/td><td>\d+<\/td><td><\/td><td>- \(c=50\)<\/td>/,
  );
  assert.match(html, /<td>127\.0\.0\.1:9002<\/td><td>750<\/td><td>25\.0 %<\/td>/);
  assert.match(html, /<tr><td>total<\/td><td>3000<\/td><td><\/td><\/tr>/);
  assert.match(renderComparison(result), /\| async \| [\d.]+ \| \d+ \| \| - \(c=50\) \|/);
});

Deno.test("interruptedNote() says why once and counts runs in the singular for one", () => {
  const result = sampleResult();
  result.interrupted = "stopped by Ctrl-C or a stop signal";
  result.cells = [cell("async", 1, [1750], 1.2)];
  assert.equal(
    interruptedNote(result),
    "**Interrupted:** stopped by Ctrl-C or a stop signal. This report holds the 1 run that finished.",
  );
});
