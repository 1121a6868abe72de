/**
 * Durations as people write them (`30s`, `2m`, `500ms`, `1.5h`), for every flag and option that
 * takes one. The bound matters: timers take a signed 32-bit count of milliseconds, and a longer
 * delay silently becomes 1 ms.
 *
 * @module
 */

/** The longest duration accepted anywhere: 24 days, under `setTimeout`'s 2^31-1 ms limit. */
export const MAX_DURATION_MS = 24 * 24 * 60 * 60 * 1000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The unit a bare number is read in. */
export type DurationUnit = "s" | "ms";

/** What a duration flag accepts, for error messages: `a duration such as 30s, 2m or 500ms, ...`. */
export function durationHint(unit: DurationUnit, aboveZero = false): string {
  const bare = unit === "s" ? "seconds" : "milliseconds";
  const range = aboveZero ? "above 0 and at most 24d" : "at most 24d";
  return `a duration such as 30s, 2m or 500ms (a bare number is ${bare}), ${range}`;
}

/**
 * Parses `text` into whole milliseconds, or returns `null` when it is not a duration from 0 to
 * {@linkcode MAX_DURATION_MS}.
 *
 * @param text e.g. `30`, `30s`, `2m`, `500ms`, `1.5h`, `1d`
 * @param unit the unit of a bare number
 * @returns milliseconds, rounded to the nearest whole one
 */
export function parseDuration(text: string, unit: DurationUnit): number | null {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (m === null) return null;
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? unit) as keyof typeof UNIT_MS]);
  return ms <= MAX_DURATION_MS ? ms : null;
}

/** Formats milliseconds the way a duration flag is written: `30s`, `2m`, `500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]]) {
    if (ms >= (size as number) && ms % (size as number) === 0) {
      return `${ms / (size as number)}${unit}`;
    }
  }
  return `${ms}ms`;
}
