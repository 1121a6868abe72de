/**
 * The demo route `GET /_netlab/work?ms=N`: burns N ms of the serving thread's CPU time
 * synchronously, so the lab can show how a single event loop and a Worker pool differ under CPU
 * load. CPU time, not wall-clock time: on a busy machine a wall-clock spin is descheduled part of
 * the time and burns less than it claims.
 *
 * @module
 */
import { type CpuBurner, createCpuBurner } from "./_cpu_clock.ts";

export { type Burn, type CpuBurner, type CpuClockKind, createCpuBurner } from "./_cpu_clock.ts";

/** The demo route's path. */
export const DEMO_PATH = "/_netlab/work";

/** Largest `ms` the demo route accepts. */
export const MAX_WORK_MS = 1000;

/** What the demo route answers: what was asked, how it was measured, and what it cost. */
export interface WorkAnswer {
  /** CPU milliseconds asked for. */
  ms: number;
  /** "thread-cpu": the thread's own CPU clock; "calibrated": work timed once at start-up. */
  clock: CpuBurner["clock"];
  /** CPU milliseconds spent (rounded to microseconds). */
  cpuMs: number;
  /** Wall-clock milliseconds the request spent burning (rounded to microseconds). */
  wallMs: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Answers a request to the demo route (the caller has matched the path).
 *
 * @param url the request's URL, with `?ms=N`
 * @param headers headers every answer carries
 * @param burner the serving thread's burner (one per thread, see {@link createCpuBurner})
 */
export function demoResponse(
  url: URL,
  headers: Record<string, string>,
  burner: CpuBurner = createCpuBurner(),
): Response {
  const raw = url.searchParams.get("ms") ?? "0";
  const ms = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 0 && ms <= MAX_WORK_MS)) {
    return Response.json(
      { error: `ms must be an integer from 0 to ${MAX_WORK_MS}, got "${raw}"` },
      { status: 400, headers },
    );
  }
  const { cpuMs, wallMs } = burner.burn(ms);
  const answer: WorkAnswer = {
    ms,
    clock: burner.clock,
    cpuMs: round3(cpuMs),
    wallMs: round3(wallMs),
  };
  return Response.json(answer, { headers: { ...headers, "cache-control": "no-store" } });
}
