/**
 * JSON output: the results as they are, one object per run.
 *
 * @module
 */
import type { BenchResult } from "../result.ts";

/**
 * Renders results as pretty JSON: an array when several runs were made, else one object.
 *
 * @param results one or more bench results
 * @returns JSON text ending with a newline
 *
 * @example
 * ```ts
 * import { bench, renderJson } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const json = JSON.parse(renderJson([await bench({ url, requests: 10 })]));
 * assert.equal(json.complete, 10);
 * ```
 */
export function renderJson(results: BenchResult[]): string {
  return `${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`;
}
