/**
 * The event loop's coarse timer: every owner with a deadline in one dense array, the deadlines
 * beside them, swept once per tick. Setting or moving a deadline allocates nothing; moving one
 * is a single array store. One instance per {@linkcode EventLoop}, which owns it.
 *
 * @module
 */
import { MAX_DELAY_MS, type Timed } from "./_types.ts";

/** Deadlines of one loop; the loop supplies its clock and wakes itself when told to. */
export class Deadlines {
  readonly #tick: number;
  readonly #onError: (err: unknown) => void;
  #timed: Timed[] = [];
  #at: number[] = [];
  /** When the next sweep is due, on the loop's clock. */
  nextSweep = 0;

  constructor(tickMs: number, onError: (err: unknown) => void) {
    this.#tick = tickMs;
    this.#onError = onError;
  }

  /** Deadlines set now. */
  get size(): number {
    return this.#timed.length;
  }

  /**
   * Sets (or moves) the deadline of `owner` to `at`, clamped to MAX_DELAY_MS after `now`.
   *
   * @returns true when this is the only deadline now (the loop, if parked without a timeout,
   *   must wake to wait with one)
   */
  set(owner: Timed, at: number, now: number): boolean {
    const limit = now + MAX_DELAY_MS;
    if (at > limit) at = limit;
    let slot = owner.timerSlot;
    if (slot < 0) {
      slot = owner.timerSlot = this.#timed.length;
      this.#timed.push(owner);
      this.#at.push(at);
      if (slot === 0) {
        this.nextSweep = now + this.#tick;
        return true;
      }
      return false;
    }
    this.#at[slot] = at;
    return false;
  }

  /** Clears the deadline of `owner`, if it has one. */
  clear(owner: Timed): void {
    const slot = owner.timerSlot;
    if (slot < 0) return;
    owner.timerSlot = -1;
    const last = this.#timed.length - 1;
    if (slot !== last) {
      const moved = this.#timed[last]!;
      this.#timed[slot] = moved;
      this.#at[slot] = this.#at[last]!;
      moved.timerSlot = slot;
    }
    this.#timed.pop();
    this.#at.pop();
  }

  /** Calls back every owner whose deadline is at or before `now`, and schedules the next sweep. */
  sweep(now: number): void {
    this.nextSweep = now + this.#tick;
    // backwards, so an owner moved into a slot by clear() has been looked at already
    for (let i = this.#timed.length - 1; i >= 0; i--) {
      if (i >= this.#timed.length || this.#at[i]! > now) continue;
      const owner = this.#timed[i]!;
      this.clear(owner);
      try {
        owner.onDeadline(now);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
