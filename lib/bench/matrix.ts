/**
 * Several URLs and/or concurrency levels: every combination is run in turn, each with fresh
 * connections (a new engine per run).
 *
 * @module
 */
import type { BenchResult } from "./result.ts";
import { bench, type BenchControl, type BenchOptions } from "./run.ts";

/** A matrix of runs: every URL at every concurrency level. */
export interface BenchMatrixOptions extends Omit<BenchOptions, "url" | "concurrency"> {
  /** URLs to load, each in turn. */
  urls: string[];
  /** Concurrency levels to run every URL at. */
  concurrencyLevels: number[];
}

/** Controls for a matrix; `onRun` is told before each run starts. */
export interface BenchMatrixControl extends BenchControl {
  /** Called before each run starts. */
  onRun?: (run: { index: number; count: number; url: string; concurrency: number }) => void;
}

/**
 * Runs every URL × concurrency level combination in order and resolves to the results.
 *
 * @param options the shared {@linkcode BenchOptions} plus `urls` and `concurrencyLevels`
 * @param control `signal`, `onProgress`, and `onRun` (told before each run)
 * @returns one result per combination, URL-major
 *
 * @example
 * ```ts
 * import { benchMatrix } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const results = await benchMatrix({ urls: [url], concurrencyLevels: [1, 5], requests: 20 });
 * assert.deepEqual(results.map((r) => r.concurrency), [1, 5]);
 * ```
 */
export async function benchMatrix(
  options: BenchMatrixOptions,
  control: BenchMatrixControl = {},
): Promise<BenchResult[]> {
  const { urls, concurrencyLevels, ...base } = options;
  const results: BenchResult[] = [];
  const count = urls.length * concurrencyLevels.length;
  for (const url of urls) {
    for (const concurrency of concurrencyLevels) {
      if (control.signal?.aborted && results.length > 0) return results;
      control.onRun?.({ index: results.length, count, url, concurrency });
      results.push(await bench({ ...base, url, concurrency }, control));
    }
  }
  return results;
}
