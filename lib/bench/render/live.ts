/**
 * The live view of `netlab bench --live`: a few lines redrawn in place a few times a second:
 * progress, req/s now with a sparkline, latency percentiles so far with a small histogram, status
 * codes and errors by cause. A pure function: the view in, the lines out.
 *
 * @module
 */
import type { LiveSnapshot } from "../recorder.ts";
import { BUCKETS_PER_DOUBLING, valueOf } from "../_timeline.ts";

/** What the live view draws. */
export interface LiveView {
  /** "http://127.0.0.1:8000/ · raw engine · c=50". */
  title: string;
  done: number;
  failed: number;
  /** Planned requests, or null when a time limit bounds the run. */
  total: number | null;
  elapsedSeconds: number;
  /** The time limit, seconds, or null. */
  limitSeconds: number | null;
  /** req/s over the last interval, oldest first (the sparkline's samples). */
  rpsHistory: readonly number[];
  /** Mean req/s since the start. */
  rpsMean: number;
  snapshot: LiveSnapshot | null;
  /** With threads: the latency lines cover the first thread's share. */
  threads: number;
  /** Terminal columns. */
  columns: number;
}

const SPARKS = "▁▂▃▄▅▆▇█";
const BLOCKS = " ▏▎▍▌▋▊▉█";

/** A sparkline of `values`, scaled to their maximum. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return SPARKS[0]!.repeat(values.length);
  return values.map((v) => SPARKS[Math.min(7, Math.floor((v / max) * 7.999))]).join("");
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction)) * width;
  const full = Math.floor(f);
  const part = Math.floor((f - full) * 8);
  const partial = full < width && part > 0 ? BLOCKS[part]! : "";
  return ("█".repeat(full) + partial).padEnd(width, "·").slice(0, width);
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** "0.412" below 10 ms, "12.3" below 100, whole ms above. */
export function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

/**
 * The latency histogram: a row of bars, one per doubling of latency from the fastest bucket to the
 * slowest, each bar's height its share of requests.
 */
export function histogramLine(buckets: readonly number[]): string {
  const perDoubling: number[] = [];
  buckets.forEach((n, b) => {
    if (n === 0) return;
    const d = b === 0 ? 0 : Math.floor((b - 1) / BUCKETS_PER_DOUBLING) + 1;
    perDoubling[d] = (perDoubling[d] ?? 0) + n;
  });
  const first = perDoubling.findIndex((n) => n !== undefined);
  if (first < 0) return "";
  const row = Array.from(perDoubling.slice(first), (n) => n ?? 0);
  const low = valueOf(first === 0 ? 0 : (first - 1) * BUCKETS_PER_DOUBLING + 1) / 1000;
  const high = valueOf((first + row.length - 1) * BUCKETS_PER_DOUBLING) / 1000;
  return `${fmtMs(low)} ms ${sparkline(row)} ${fmtMs(high)} ms (one bar per doubling)`;
}

/**
 * The view's lines (no trailing newline on the last).
 *
 * @param v what to draw
 * @returns the lines, each at most `v.columns` wide
 */
export function renderLive(v: LiveView): string[] {
  const lines: string[] = [];
  const fit = (
    s: string,
  ) => (s.length > v.columns ? s.slice(0, Math.max(1, v.columns - 1)) + "…" : s);
  lines.push(`netlab bench · ${v.title}`);
  const fraction = Math.min(
    1,
    v.total !== null
      ? v.done / v.total
      : v.limitSeconds !== null
      ? v.elapsedSeconds / v.limitSeconds
      : 0,
  );
  const of = v.total !== null ? `${int(v.done)}/${int(v.total)}` : `${int(v.done)} done`;
  const time = v.limitSeconds !== null
    ? `${Math.min(v.elapsedSeconds, v.limitSeconds).toFixed(1)}/${v.limitSeconds} s`
    : `${v.elapsedSeconds.toFixed(1)} s`;
  lines.push(
    `Progress  ${bar(fraction, 24)} ${(fraction * 100).toFixed(0).padStart(3)}%  ${of}  ${time}`,
  );
  const now = v.rpsHistory.at(-1) ?? v.rpsMean;
  lines.push(
    `Req/s     ${int(now).padStart(9)} now  ${int(v.rpsMean).padStart(9)} mean  ${
      sparkline(v.rpsHistory.slice(-40))
    }`,
  );
  const s = v.snapshot;
  const share = v.threads > 1 ? ` (thread 1 of ${v.threads})` : "";
  if (s === null || s.complete === 0) {
    lines.push(`Latency   waiting for the first response`);
  } else {
    const p = s.percentiles;
    lines.push(
      `Latency   p50 ${fmtMs(p["50"]!)}  p90 ${fmtMs(p["90"]!)}  p99 ${fmtMs(p["99"]!)}  p99.9 ${
        fmtMs(p["99.9"]!)
      }  max ${fmtMs(p["100"]!)} ms${share}`,
    );
    lines.push(`          ${histogramLine(s.buckets)}`);
  }
  const codes = s?.statusCodes.map(([c, n]) => `${c}: ${int(n)}`).join("  ") ?? "";
  lines.push(`Status    ${codes === "" ? "none yet" : codes}`);
  const errors = s?.errors.slice(0, 3).map(([c, n]) => `${c}: ${int(n)}`).join("; ") ?? "";
  lines.push(
    `Errors    ${v.failed === 0 ? "none" : `${int(v.failed)}${errors ? ` (${errors})` : ""}`}`,
  );
  return lines.map(fit);
}
