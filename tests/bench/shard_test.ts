import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import {
  parseShard,
  parseStartAt,
  shardRate,
  shardShare,
  splitRun,
  waitUntil,
} from "../../lib/bench/shard.ts";

Deno.test("parseShard() reads I/N and refuses anything else", () => {
  assert.deepEqual(parseShard("0/3"), { index: 0, count: 3 });
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.deepEqual(parseShard("0/1"), { index: 0, count: 1 });
  for (const bad of ["3/3", "1/0", "-1/3", "1", "a/b", "1/3/4", "", "1.5/3"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
  assert.throws(() => parseShard("4/3"), /Invalid shard "4\/3": expected I\/N with 0 <= I < N/);
});

Deno.test("shardShare() and shardRate() divide exactly, remainders to the first shards", () => {
  const cases: Array<[number, number]> = [[10, 3], [1000, 7], [5, 5], [2, 3], [100000, 1]];
  for (const [total, n] of cases) {
    const shares = Array.from({ length: n }, (_, index) => shardShare(total, { index, count: n }));
    assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total}/${n}`);
    assert.ok(shares.every((s, i) => i === 0 || s <= shares[i - 1]!), "first shards get more");
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
  }
  assert.deepEqual([0, 1, 2].map((index) => shardShare(10, { index, count: 3 })), [4, 3, 3]);
  assert.deepEqual([0, 1, 2].map((index) => shardRate(100, { index, count: 3 })), [34, 33, 33]);
  assert.equal(shardRate(2.5, { index: 1, count: 2 }), 1.25);
});

Deno.test("splitRun() splits -n, -c and --rate, and refuses an empty share", () => {
  assert.deepEqual(
    splitRun({ requests: 1000, concurrency: 10, rate: 500 }, { index: 0, count: 3 }),
    {
      requests: 334,
      concurrency: 4,
      rate: 167,
    },
  );
  assert.deepEqual(splitRun({ concurrency: 10 }, { index: 2, count: 3 }), { concurrency: 3 });
  assert.throws(
    () => splitRun({ requests: 100, concurrency: 2 }, { index: 2, count: 3 }),
    /Cannot split -c 2 among 3 shards: each needs at least one connection/,
  );
  assert.throws(
    () => splitRun({ concurrency: 3, rate: 2 }, { index: 2, count: 3 }),
    /Cannot split --rate 2 among 3 shards/,
  );
});

Deno.test("parseStartAt() reads RFC 3339 and Unix ms, and refuses a past time", () => {
  const now = Date.parse("2026-12-02T08:00:00Z");
  assert.equal(parseStartAt("2026-12-02T09:00:00Z", now), Date.parse("2026-12-02T09:00:00Z"));
  assert.equal(parseStartAt("2026-12-02T10:00:00.250+01:00", now), now + 7_200_250 - 3_600_000);
  assert.equal(parseStartAt(String(now + 5000), now), now + 5000);
  assert.throws(() => parseStartAt("2026-12-02T07:59:59Z", now), /already past/);
  assert.throws(() => parseStartAt(String(now - 1), now), UsageError);
  for (const bad of ["tomorrow", "2026-12-02", "2026-12-02T09:00:00", "12:00", "-5"]) {
    assert.throws(() => parseStartAt(bad, now), /Invalid start time/, bad);
  }
});

Deno.test("waitUntil() resolves no earlier than the time, or at once when aborted", async () => {
  const at = Date.now() + 50;
  await waitUntil(at);
  assert.ok(Date.now() >= at);
  const stop = new AbortController();
  const waiting = waitUntil(Date.now() + 3_600_000, stop.signal);
  stop.abort();
  await waiting; // a pending hour-long timer would fail the test's leak check
});
