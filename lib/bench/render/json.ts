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
 */
export function renderJson(results: BenchResult[]): string {
  return `${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`;
}
