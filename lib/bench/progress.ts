/**
 * A progress bar for interactive runs (cli-progress): done, req/s and errors. The CLI only creates
 * it when standard error is a terminal, so pipes and CI logs stay clean.
 *
 * @module
 */
import cliProgress from "cli-progress";
import type { BenchProgress } from "./run.ts";

/** A progress display for one run. */
export interface ProgressBar {
  update(p: BenchProgress): void;
  stop(): void;
}

/** Creates a bar writing to `stream` (a TTY), labelled with `label`. */
export function createProgressBar(
  stream: NodeJS.WritableStream,
  label: string,
  total: number | null,
): ProgressBar {
  const bar = new cliProgress.SingleBar({
    stream,
    format: total === null
      ? `${label} {done} done | {rps} req/s | {failed} errors | {elapsed}s`
      : `${label} [{bar}] {percentage}% | {done}/{total} | {rps} req/s | {failed} errors`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  bar.start(total ?? 0, 0, { done: 0, rps: "0", failed: 0, elapsed: "0.0" });
  return {
    update(p) {
      bar.update(total === null ? 0 : Math.min(p.done, total), {
        done: p.done,
        rps: p.requestsPerSecond.toFixed(0),
        failed: p.failed,
        elapsed: p.elapsedSeconds.toFixed(1),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
