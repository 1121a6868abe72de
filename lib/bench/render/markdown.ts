/**
 * The lab's tables: one per URL, one row per run, exactly the lab's columns.
 *
 * @module
 */
import type { BenchResult } from "../result.ts";

/** The lab's header row, verbatim. */
export const MARKDOWN_HEADER =
  "| No test | Concurrency level | Time taken for test (seconds) | Complete request | Failed request | Total transferred (bytes) | Request per second | Time per request (ms) | Transfer rate (Kbytes/sec) |";

/**
 * Renders one markdown table per URL (in first-seen order), rows numbered from 1.
 *
 * @param results bench results, e.g. from `benchMatrix()`
 * @param options `title(url)` gives the heading above each table; @default {"### <url>"}
 * @returns markdown text ending with a newline
 *
 * @example
 * ```ts
 * import { benchMatrix, MARKDOWN_HEADER, renderMarkdown } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const results = await benchMatrix({ urls: [url], concurrencyLevels: [1, 2], requests: 10 });
 * const table = renderMarkdown(results, { title: () => "## async" });
 * assert.ok(table.includes(MARKDOWN_HEADER));
 * ```
 */
export function renderMarkdown(
  results: BenchResult[],
  options: { title?: (url: string) => string } = {},
): string {
  const byUrl = new Map<string, BenchResult[]>();
  for (const r of results) {
    const list = byUrl.get(r.url) ?? [];
    list.push(r);
    byUrl.set(r.url, list);
  }
  const title = options.title ?? ((url: string) => `### ${url}`);
  const parts: string[] = [];
  for (const [url, list] of byUrl) {
    const lines = [title(url), "", MARKDOWN_HEADER, `|${"---|".repeat(9)}`];
    list.forEach((r, i) => {
      lines.push(
        `| ${i + 1} | ${r.concurrency} | ${
          r.timeTakenSeconds.toFixed(3)
        } | ${r.complete} | ${r.failed} | ${r.totalTransferred} | ${
          r.requestsPerSecond.toFixed(2)
        } | ${r.timePerRequestMs.toFixed(3)} | ${r.transferRateKBps.toFixed(2)} |`,
      );
    });
    parts.push(lines.join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}
