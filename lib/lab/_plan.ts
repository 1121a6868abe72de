/**
 * The lab's schedule: every target on every route at every concurrency level, `repeat` times, in
 * turns. Each repeat runs every level, and at each level every target, in an order rotated by one
 * each repeat, so a drift of the machine (another job starting, a CPU warming up) hits every
 * target alike instead of whichever happened to run last.
 *
 * @module
 */

/** One measured run in the schedule. */
export interface PlannedRun<T> {
  route: string;
  target: T;
  concurrency: number;
  /** 0-based repeat. */
  repeat: number;
}

/** `items` rotated left by `by`. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  if (n === 0) return [];
  const k = ((by % n) + n) % n;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * The runs in the order they happen: per route, per repeat, per level, every target (rotated).
 *
 * @param routes paths, in order
 * @param targets what is measured, in report order
 * @param levels concurrency levels, in order
 * @param repeat runs per cell
 */
export function planRuns<T>(
  routes: readonly string[],
  targets: readonly T[],
  levels: readonly number[],
  repeat: number,
): PlannedRun<T>[] {
  const plan: PlannedRun<T>[] = [];
  for (const route of routes) {
    for (let r = 0; r < repeat; r++) {
      for (const concurrency of levels) {
        for (const target of rotate(targets, r)) {
          plan.push({ route, target, concurrency, repeat: r });
        }
      }
    }
  }
  return plan;
}
