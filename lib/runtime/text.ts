/**
 * Small wording helpers for log lines and reports.
 *
 * @module
 */

/**
 * A count with its noun, singular for exactly one: `counted(1, "connection")` is
 * "1 connection", `counted(3, "connection")` "3 connections".
 *
 * @param n how many
 * @param noun the singular; the plural adds an "s"
 * @returns the count and the noun, e.g. "2 requests"
 */
export function counted(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}
