import assert from "node:assert/strict";
import { planRuns, rotate } from "../../lib/lab/_plan.ts";

Deno.test("rotate() turns the order by one per step and wraps", () => {
  assert.deepEqual(rotate(["a", "b", "c"], 1), ["b", "c", "a"]);
  assert.deepEqual(rotate(["a", "b", "c"], 3), ["a", "b", "c"]);
  assert.deepEqual(rotate([], 2), []);
});

Deno.test("planRuns() interleaves targets per level and rotates them each repeat", () => {
  const plan = planRuns(["/p"], ["a", "b", "c"], [1, 10], 3);
  assert.equal(plan.length, 18);
  const order = (r: number, c: number) =>
    plan.filter((p) => p.repeat === r && p.concurrency === c).map((p) => p.target).join("");
  assert.deepEqual([order(0, 1), order(1, 1), order(2, 1)], ["abc", "bca", "cab"]);
  assert.equal(order(1, 10), "bca");
  // Every cell gets exactly `repeat` runs.
  for (const t of ["a", "b", "c"]) {
    for (const c of [1, 10]) {
      assert.equal(plan.filter((p) => p.target === t && p.concurrency === c).length, 3);
    }
  }
});
