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
  urls: string[];
  concurrencyLevels: number[];
}

/** Controls for a matrix; `onRun` is told before each run starts. */
export interface BenchMatrixControl extends BenchControl {
  onRun?: (run: { index: number; count: number; url: string; concurrency: number }) => void;
}

/** Runs every URL × concurrency level combination in order and resolves to the results. */
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
