import assert from "node:assert/strict";
import { Deadlines } from "../../lib/loop/_deadlines.ts";
import { MAX_DELAY_MS, type Timed } from "../../lib/loop/mod.ts";

/** A deadline owner that notes when it fired. */
function owner(): Timed & { fired: number[] } {
  const o = {
    timerSlot: -1,
    fired: [] as number[],
    onDeadline(now: number) {
      o.fired.push(now);
    },
  };
  return o;
}

Deno.test("setDeadline() beyond 2^31-1 ms is clamped to MAX_DELAY_MS ahead: it fires there, not later, never at once", () => {
  const deadlines = new Deadlines(100, (err) => {
    throw err;
  });
  const now = 5_000;
  const far = owner();
  deadlines.set(far, now + 2 ** 31 + 5, now);
  deadlines.sweep(now + 1);
  deadlines.sweep(now + MAX_DELAY_MS - 1);
  assert.deepEqual(far.fired, []);
  deadlines.sweep(now + MAX_DELAY_MS);
  assert.deepEqual(far.fired, [now + MAX_DELAY_MS]);
  assert.equal(deadlines.size, 0);
});
