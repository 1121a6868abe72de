import assert from "node:assert/strict";
import { addTimelines, MAX_SLOTS, Timeline } from "../../lib/bench/_timeline.ts";

Deno.test("Timeline counts each second apart, with its p50 and p99", () => {
  const t = new Timeline();
  t.start(1000);
  for (let i = 0; i < 100; i++) t.complete(1000 + 500, i < 99 ? 1000 : 100_000); // second 0
  for (let i = 0; i < 10; i++) t.complete(1000 + 1500, 2000); // second 1
  t.failed(1000 + 1600);
  const points = t.points(2000);
  assert.equal(points.length, 2);
  assert.deepEqual(points.map((p) => [p.second, p.complete, p.errors]), [[0, 100, 0], [1, 10, 1]]);
  assert.equal(points[0]!.requestsPerSecond, 100);
  assert.ok(Math.abs(points[0]!.p50! - 1) < 0.05, `${points[0]!.p50}`); // buckets ~4% wide
  assert.ok(Math.abs(points[0]!.p99! - 1) < 0.05); // 99 of 100 at 1 ms
  assert.ok(Math.abs(points[1]!.p99! - 2) < 0.1);
});

Deno.test("Timeline rates a short last second over the time it covered, and drops a sliver", () => {
  const t = new Timeline();
  t.start(0);
  for (let i = 0; i < 50; i++) t.complete(1200, 500); // 50 in the 0.5 s of second 1
  assert.equal(t.points(1500)[1]!.requestsPerSecond, 100);
  assert.equal(t.points(1050).length, 1, "a last slot of 50 ms is left out");
});

Deno.test("Timeline stays bounded: past MAX_SLOTS seconds its slots double", () => {
  const t = new Timeline();
  t.start(0);
  for (let s = 0; s < MAX_SLOTS * 3; s++) t.complete(s * 1000 + 10, 1000);
  const points = t.points(MAX_SLOTS * 3000);
  assert.ok(points.length <= MAX_SLOTS, `${points.length}`);
  assert.equal(points[1]!.second, 4); // slots of 4 s
  assert.equal(points.reduce((n, p) => n + p.complete, 0), MAX_SLOTS * 3);
});

Deno.test("Timeline.absorb() adds another thread's slots, and addTimelines() shards'", () => {
  const a = new Timeline();
  const b = new Timeline();
  a.start(0);
  b.start(0);
  a.complete(100, 1000);
  b.complete(200, 1000);
  b.complete(1200, 1000);
  a.absorb(b.state());
  assert.deepEqual(a.points(2000).map((p) => p.complete), [2, 1]);
  const sum = addTimelines([a.points(2000), undefined, a.points(2000)])!;
  assert.deepEqual(sum.map((p) => [p.complete, p.p50]), [[4, undefined], [2, undefined]]);
  assert.equal(addTimelines([undefined]), undefined);
});
