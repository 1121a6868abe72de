/**
 * `netlab bench --live`: the live view redrawn in place on the terminal (lib/bench/render/live.ts
 * draws it), a few times a second. Each run gets its own; the last frame stays on screen and the
 * report is printed below it.
 *
 * @module
 */
import type { BenchProgress } from "../bench/run.ts";
import { type LiveView, renderLive } from "../bench/render/live.ts";

/** Runs longer than this get the live view by default (on a terminal). */
export const LIVE_AFTER_SECONDS = 3;
/** Samples kept for the sparkline. */
const HISTORY = 120;

/** Whether and when a run shows the live view. */
export type LiveMode = "off" | "auto" | "on";

/**
 * `--live` forces it, `--no-live` and `-q` (without `--live`) turn it off, and by default it is
 * on when standard output is a terminal, from the third second of a run.
 */
export function liveMode(
  flag: boolean | undefined,
  quiet: boolean,
  stdoutIsTerminal: boolean,
): LiveMode {
  if (flag === true) return "on";
  if (flag === false || quiet || !stdoutIsTerminal) return "off";
  return "auto";
}

/** The width of the terminal, or 100 where it cannot be asked. */
function columns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 100;
  }
}

/**
 * The bytes that replace a frame of `drawn` lines with `lines`: back to the frame's first line,
 * then each line cleared and rewritten. Line by line, not "clear to the end of the screen": tmux
 * and some terminals copy a cleared screen into their scrollback, which would fill it with frames.
 */
export function redraw(drawn: number, lines: readonly string[]): string {
  let out = drawn > 0 ? `\x1b[${drawn}A\r` : "";
  for (const line of lines) out += `\x1b[2K${line}\n`;
  const extra = drawn - lines.length;
  if (extra > 0) out += `${"\x1b[2K\n".repeat(extra)}\x1b[${extra}A`;
  return out;
}

/** One run's live view. */
export class LiveDashboard {
  #write: (text: string) => void;
  #title: string;
  #limitSeconds: number | null;
  #drawn = 0;
  #last: { done: number; at: number } | null = null;
  #history: number[] = [];

  constructor(write: (text: string) => void, title: string, limitSeconds: number | null) {
    this.#write = write;
    this.#title = title;
    this.#limitSeconds = limitSeconds;
  }

  /** Takes the latest progress; redraws when `draw` (before, it only keeps the req/s history). */
  update(p: BenchProgress, draw = true): void {
    const last = this.#last;
    if (last !== null && p.elapsedSeconds > last.at) {
      this.#history.push((p.done - last.done) / (p.elapsedSeconds - last.at));
      if (this.#history.length > HISTORY) this.#history.shift();
    }
    this.#last = { done: p.done, at: p.elapsedSeconds };
    if (!draw) return;
    const view: LiveView = {
      title: this.#title,
      done: p.done,
      failed: p.failed,
      total: p.total,
      elapsedSeconds: p.elapsedSeconds,
      limitSeconds: this.#limitSeconds,
      rpsHistory: this.#history,
      rpsMean: p.requestsPerSecond,
      snapshot: p.live ?? null,
      threads: p.liveThreads ?? 1,
      columns: columns(),
    };
    const lines = renderLive(view);
    this.#write(redraw(this.#drawn, lines));
    this.#drawn = lines.length;
  }

  /** Leaves the last frame on screen, with a blank line under it. */
  stop(): void {
    if (this.#drawn > 0) this.#write("\n");
    this.#drawn = 0;
  }
}
