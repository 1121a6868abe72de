/**
 * The demo route `GET /_netlab/work?ms=N`: burns N ms of CPU synchronously on the thread that
 * serves it, so the lab can show how a single event loop and a Worker pool differ under CPU load.
 *
 * @module
 */

/** The demo route's path. */
export const DEMO_PATH = "/_netlab/work";

/** Largest `ms` the demo route accepts. */
export const MAX_WORK_MS = 1000;

/**
 * Busy-waits for `ms` milliseconds and returns how long it actually spun.
 *
 * @param ms How long to spin.
 * @returns The milliseconds actually spent.
 *
 * @example
 * ```ts
 * import { burnCpu } from "@netlab/netlab/http";
 * const spent = burnCpu(5);
 * console.log(spent >= 5); // true
 * ```
 */
export function burnCpu(ms: number): number {
  const start = performance.now();
  let now = start;
  while (now - start < ms) now = performance.now();
  return now - start;
}

/** Answers a request to the demo route (the caller has matched the path). */
export function demoResponse(url: URL, headers: Record<string, string>): Response {
  const raw = url.searchParams.get("ms") ?? "0";
  const ms = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 0 && ms <= MAX_WORK_MS)) {
    return Response.json(
      { error: `ms must be an integer from 0 to ${MAX_WORK_MS}, got "${raw}"` },
      { status: 400, headers },
    );
  }
  const spent = burnCpu(ms);
  return Response.json({ ms, spentMs: Math.round(spent * 1000) / 1000 }, {
    headers: { ...headers, "cache-control": "no-store" },
  });
}
