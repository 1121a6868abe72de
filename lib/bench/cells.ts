/**
 * Cells: each URL at each concurrency level, warmed up and then run `repeat` times, each run with
 * fresh connections, each recording the client's own CPU. What `netlab bench` runs and
 * `--format json` prints.
 *
 * @module
 */
import type { BenchCell, BenchRun } from "./cell.ts";
import { environmentNow, loadAverage, processCpuMs } from "./environment.ts";
import type { BenchMatrixControl, BenchMatrixOptions } from "./matrix.ts";
import type { BenchResult } from "./result.ts";
import { bench, type BenchOptions } from "./run.ts";
import { cellClient, clientUsage, type CpuDetail, summarize } from "./summary.ts";
import { busiestThread, threadTicks } from "./thread_cpu.ts";

/** Cells to run: every URL at every level, `repeat` times after `warmup` requests. */
export interface BenchCellsOptions extends BenchMatrixOptions {
  /** Runs per cell. @default {1} */
  repeat?: number;
  /** Requests sent before each cell's runs and not counted. @default {0} */
  warmup?: number;
}

/** Controls for cells; `onRun` is told before each run (repeats included) starts. */
export interface BenchCellsControl extends BenchMatrixControl {
  /** Called before each repeat starts. */
  onRepeat?: (run: { cell: number; repeat: number; repeats: number }) => void;
}

/** One run plus when it ran and what the client used. */
export async function timedRun(
  options: BenchOptions,
  control: BenchMatrixControl,
): Promise<BenchRun> {
  const startedAt = new Date();
  const ticks0 = threadTicks();
  const cpu0 = processCpuMs();
  const wall0 = performance.now();
  const result: BenchResult = await bench(options, control);
  const cpu = processCpuMs() - cpu0;
  const wall = performance.now() - wall0;
  const ticks1 = ticks0 === null ? null : threadTicks();
  const busiest = ticks1 === null ? null : busiestThread(ticks0!, ticks1, wall);
  const detail: CpuDetail = { cpus: navigator.hardwareConcurrency };
  if (busiest !== null) detail.busiestThreadPercent = busiest.percent;
  return {
    ...result,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    client: clientUsage(cpu, wall, result.threads, detail),
    latencyHistogram: result.latencyHistogram ?? "",
  };
}

/** Runs every URL × level cell in order and resolves to the cells (those begun, if stopped). */
export async function benchCells(
  options: BenchCellsOptions,
  control: BenchCellsControl = {},
): Promise<BenchCell[]> {
  const { urls, concurrencyLevels, repeat = 1, warmup = 0, ...base } = options;
  if (!Number.isSafeInteger(repeat) || repeat < 1) {
    throw new RangeError(`Invalid repeat count "${repeat}": expected a whole number of at least 1`);
  }
  const cells: BenchCell[] = [];
  const count = urls.length * concurrencyLevels.length;
  const stopped = () => control.signal?.aborted ?? false;
  for (const url of urls) {
    for (const concurrency of concurrencyLevels) {
      if (stopped() && cells.length > 0) return cells;
      const environment = environmentNow();
      const startedAt = new Date().toISOString();
      const opts: BenchOptions = { ...base, url, concurrency };
      control.onRun?.({ index: cells.length, count, url, concurrency });
      if (warmup > 0 && !stopped()) {
        const { timeLimitSeconds: _t, ...rest } = opts;
        await bench({ ...rest, requests: warmup, concurrency: Math.min(concurrency, warmup) }, {
          ...(control.signal ? { signal: control.signal } : {}),
        });
      }
      const runs: BenchRun[] = [];
      for (let r = 0; r < repeat; r++) {
        if (stopped() && runs.length > 0) break;
        control.onRepeat?.({ cell: cells.length, repeat: r, repeats: repeat });
        runs.push(await timedRun(opts, control));
      }
      environment.loadAverageEnd = loadAverage();
      cells.push({
        url,
        concurrency,
        engine: runs[0]?.engine ?? (base.engine === "raw" ? "raw" : "fetch"),
        ...(runs[0]?.engineReason !== undefined ? { engineReason: runs[0].engineReason } : {}),
        warmup,
        startedAt,
        endedAt: new Date().toISOString(),
        environment,
        client: cellClient(runs),
        interrupted: stopped() || runs.some((r) => r.interrupted),
        runs,
        summary: summarize(runs),
      });
    }
  }
  return cells;
}
