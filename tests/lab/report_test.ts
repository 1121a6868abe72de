import assert from "node:assert/strict";
import { renderComparison, renderConnections, renderLabMarkdown } from "../../lib/lab/report_md.ts";
import { escapeHtml, renderLabHtml } from "../../lib/lab/report_html.ts";
import { benchResult, sampleResult } from "./_fixture.ts";

const LAB_HEADER =
  "| No test | Concurrency level | Time taken for test (seconds) | Complete request | Failed request | Total transferred (bytes) | Request per second | Time per request (ms) | Transfer rate (Kbytes/sec) |";

Deno.test("renderLabMarkdown() prints one table per model in exactly the lab's columns", () => {
  const md = renderLabMarkdown(sampleResult());
  const headers = md.split("\n").filter((l) => l === LAB_HEADER);
  assert.equal(headers.length, 3);
  const sections = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, [
    "Async server (one event loop): /page.html",
    "Worker pool: /page.html",
    "Balancer in front of the async servers: /page.html",
    "Comparison",
    "Connections per backend (from the balancer)",
  ]);
  // Each table has one numbered row per run, in order.
  const table = md.split("## Worker pool")[1]!.split("##")[0]!;
  const rows = table.split("\n").filter((l) => /^\| \d/.test(l));
  assert.deepEqual(rows.map((r) => r.split("|")[1]!.trim()), ["1", "2", "3"]);
  assert.deepEqual(rows.map((r) => r.split("|")[2]!.trim()), ["1", "10", "50"]);
  assert.match(rows[2]!, /\| 997 \| 3 \|/);
});

Deno.test("renderComparison() gives best req/s, p99 at the highest level and failures", () => {
  const lines = renderComparison(sampleResult()).split("\n");
  assert.equal(lines.length, 5);
  assert.equal(lines[2], "| async | 5200.00 | 10 | 21.50 (c=50) | 0 of 3000 |");
  assert.equal(lines[3], "| pool | 6100.00 | 10 | 18.25 (c=50) | 3 of 3000 |");
  assert.equal(lines[4], "| balancer | 4100.00 | 50 | 30.75 (c=50) | 0 of 3000 |");
});

Deno.test("renderComparison() adds a route column when the CPU route was measured", () => {
  const result = sampleResult();
  const first = result.runs[0]!;
  const url = "http://127.0.0.1:45000/_netlab/work?ms=5";
  result.runs.push({ ...first, route: "/_netlab/work?ms=5", result: benchResult(url, 1, 190, 9) });
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
  result.runs[0]!.result.url = "http://127.0.0.1:45000/page.html?<x>";
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
  assert.match(
    html,
    /<tr><td>balancer<\/td><td>balancer<\/td><td>127\.0\.0\.1:44444<\/td><td>103<\/td><\/tr>/,
  );
  assert.equal(escapeHtml(`"'&<>`), "&#34;&#39;&#38;&#60;&#62;");
});

Deno.test("renderLabHtml() shows the comparison and connections as report.md does", () => {
  const result = sampleResult();
  // The async server's run at the highest level completed nothing: it has no p99.
  const last = result.runs.findLast((r) => r.model === "async")!;
  last.result.percentiles = {};
  const html = renderLabHtml(result, []);
  assert.doesNotMatch(html, /NaN/);
  assert.match(html, /<tr><td>async<\/td><td>[\d.]+<\/td><td>\d+<\/td><td>- \(c=50\)<\/td>/);
  assert.match(html, /<td>127\.0\.0\.1:9002<\/td><td>750<\/td><td>25\.0 %<\/td>/);
  assert.match(html, /<tr><td>total<\/td><td>3000<\/td><td><\/td><\/tr>/);
  assert.match(renderComparison(result), /\| async \| [\d.]+ \| \d+ \| - \(c=50\) \|/);
});
