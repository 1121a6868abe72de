/**
 * `netlab bench merge`: the cells of several reports (shards of one bench, or runs made on several
 * machines at once) added into one report. Counts, bytes, failures, status codes and errors are
 * summed exactly; percentiles and medians come from the merged HdrHistograms, never from averaging
 * percentiles; throughput is the completed requests over the span from the first start of load to
 * the last end.
 *
 * @module
 */
import type { BenchCell, MergeInfo } from "./cell.ts";
import { cellClient, summarize } from "./summary.ts";
import { loadStart, mergeRuns, sum } from "./_merge_runs.ts";

export { loadStart, mergeRuns };

/** A report to merge: its cells and the name to use for it in messages (its path). */
export interface MergeInput {
  name: string;
  cells: readonly BenchCell[];
}

/** Options of {@linkcode mergeReports}. */
export interface MergeOptions {
  /** Add cells that differ in URL, method or concurrency instead of refusing. @default {false} */
  mixed?: boolean;
}

/** Reports that cannot be merged; the message says which cells and why. */
export class MergeError extends Error {
  override name = "MergeError";
}

/** The whole run's concurrency: a shard's cell counts the connections of every shard. */
const wholeConcurrency = (c: BenchCell) => c.shard?.concurrency ?? c.concurrency;
const methodOf = (c: BenchCell) => c.runs[0]?.method ?? "GET";

/**
 * Merges reports cell by cell: the i-th cell of every report is added into the i-th merged cell,
 * and its j-th runs into the merged cell's j-th run.
 *
 * @throws MergeError when the reports do not line up (cell or run counts, a shard given twice) or,
 *   without `mixed`, when paired cells differ in URL, method or concurrency
 */
export function mergeReports(
  inputs: readonly MergeInput[],
  options: MergeOptions = {},
): BenchCell[] {
  const first = inputs[0];
  if (first === undefined) throw new MergeError("Cannot merge nothing: no report given");
  for (const input of inputs) {
    if (input.cells.length !== first.cells.length) {
      throw new MergeError(
        `Cannot merge "${first.name}" and "${input.name}": ${first.cells.length} cells against ${input.cells.length}`,
      );
    }
  }
  return first.cells.map((_, i) => {
    const cells = inputs.map((input) => input.cells[i]!);
    check(inputs, cells, i, options.mixed ?? false);
    return mergeCells(cells);
  });
}

function check(inputs: readonly MergeInput[], cells: BenchCell[], i: number, mixed: boolean) {
  const a = cells[0]!;
  const where = (k: number) => `"${inputs[k]!.name}"`;
  cells.forEach((c, k) => {
    if (c.runs.length !== a.runs.length) {
      throw new MergeError(
        `Cannot merge cell ${i + 1}: ${a.runs.length} runs in ${where(0)} but ${c.runs.length} in ${
          where(k)
        }`,
      );
    }
    if (mixed) return;
    const differs = c.url !== a.url
      ? `URL ${a.url} in ${where(0)} but ${c.url} in ${where(k)}`
      : methodOf(c) !== methodOf(a)
      ? `method ${methodOf(a)} in ${where(0)} but ${methodOf(c)} in ${where(k)}`
      : wholeConcurrency(c) !== wholeConcurrency(a)
      ? `concurrency ${wholeConcurrency(a)} in ${where(0)} but ${wholeConcurrency(c)} in ${
        where(k)
      }`
      : c.shard !== undefined && a.shard !== undefined && c.shard.count !== a.shard.count
      ? `${a.shard.count} shards in ${where(0)} but ${c.shard.count} in ${where(k)}`
      : null;
    if (differs !== null) {
      throw new MergeError(
        `Cannot merge cell ${i + 1}: ${differs} (--mixed adds them anyway)`,
      );
    }
  });
  const seen = new Map<number, number>();
  cells.forEach((c, k) => {
    if (c.shard === undefined) return;
    const before = seen.get(c.shard.index);
    if (before !== undefined) {
      throw new MergeError(
        `Cannot merge cell ${i + 1}: shard ${c.shard.index}/${c.shard.count} is in both ${
          where(before)
        } and ${where(k)}`,
      );
    }
    seen.set(c.shard.index, k);
  });
}

/** Adds cells (already checked to line up) into one. */
export function mergeCells(cells: readonly BenchCell[]): BenchCell {
  const a = cells[0]!;
  const runs = a.runs.map((_, j) => mergeRuns(cells.map((c) => c.runs[j]!)));
  const merged: MergeInfo = {
    cells: cells.length,
    shards: cells.flatMap((c) => (c.shard === undefined ? [] : [c.shard.index])).sort((x, y) =>
      x - y
    ),
    urls: [...new Set(cells.map((c) => c.url))],
  };
  const names = new Set(cells.map((c) => c.name));
  return {
    ...(names.size === 1 && a.name !== undefined ? { name: a.name } : {}),
    url: a.url,
    concurrency: sum(cells.map((c) => c.concurrency)),
    engine: a.engine,
    warmup: sum(cells.map((c) => c.warmup)),
    startedAt: earliest(cells.map((c) => c.startedAt)),
    endedAt: latest(cells.map((c) => c.endedAt)),
    // several machines' environments cannot be one: the first cell's stands for them
    environment: a.environment,
    client: cellClient(cells),
    interrupted: cells.some((c) => c.interrupted),
    runs,
    summary: summarize(runs),
    merged,
  };
}

const earliest = (times: string[]) => new Date(Math.min(...times.map(Date.parse))).toISOString();
const latest = (times: string[]) => new Date(Math.max(...times.map(Date.parse))).toISOString();
