/**
 * Checks of the numbers themselves: against servers whose latencies are known in advance, on both
 * engines, the percentiles land where the truth is. The bounds are one-sided where the truth is a
 * floor (a server that waits 20 ms cannot answer in less) and generous on the other side, so that a
 * busy machine cannot make them fail.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bench } from "../../lib/bench/run.ts";
import { benchCells } from "../../lib/bench/cells.ts";
import { response, startServer, type TestServer } from "./_servers.ts";

/** A keep-alive server answering request `index` after `delay(index)` ms. */
function delayServer(delay: (index: number) => number): TestServer {
  return startServer(({ keepAlive, index }) =>
    new Promise((resolve) =>
      setTimeout(
        () => resolve({ bytes: response("ok\n", { keepAlive }), close: !keepAlive }),
        delay(index),
      )
    )
  );
}

/** Timers may fire up to a millisecond early on some systems; the floor allows for it. */
const EARLY = 1;

for (const engine of ["fetch", "raw"] as const) {
  Deno.test(`bench() [${engine}] on a fixed 20 ms server: p50 and p99 at 20 ms or a little more`, async () => {
    await using server = delayServer(() => 20);
    const r = await bench({
      url: server.url,
      requests: 40,
      concurrency: 4,
      keepAlive: true,
      engine,
    });
    assert.equal(r.complete, 40);
    const t = r.connectionTimes!.total;
    assert.ok(t.min >= 20 - EARLY, `min ${t.min}`);
    assert.ok(r.percentiles["50"]! >= 20 - EARLY, `p50 ${r.percentiles["50"]}`);
    assert.ok(r.percentiles["50"]! < 1000, `p50 ${r.percentiles["50"]}`);
    assert.ok(r.percentiles["99"]! >= 20 - EARLY);
    // Little's law: 4 connections of >= 20 ms each cannot exceed 200 req/s.
    assert.ok(r.requestsPerSecond <= 4000 / (20 - EARLY), `${r.requestsPerSecond} req/s`);
  });

  Deno.test(`bench() [${engine}] on a bimodal 5/50 ms server: p50 near 5 ms, p90 at 50 ms`, async () => {
    // One request in four waits 50 ms, the rest 5 ms: the truth is p50 = 5 ms, p90 = 50 ms.
    await using server = delayServer((i) => (i % 4 === 3 ? 50 : 5));
    const r = await bench({
      url: server.url,
      requests: 60,
      concurrency: 1,
      keepAlive: true,
      engine,
    });
    assert.equal(r.complete, 60);
    const p = r.percentiles;
    assert.ok(p["50"]! >= 5 - EARLY && p["50"]! < 50 - EARLY, `p50 ${p["50"]}`);
    assert.ok(p["90"]! >= 50 - EARLY, `p90 ${p["90"]}`);
    assert.ok(r.connectionTimes!.total.min >= 5 - EARLY);
  });

  Deno.test(`bench() [${engine}] --rate through a one-second stall counts the requests it delayed`, async () => {
    // 20 req/s on one connection; request 10 takes a second. About 20 requests fall due during
    // the stall: counted from when each was due (wrk2's correction), their latencies spread evenly
    // over 0-1000 ms, so the truth is max ~ 1000 ms and p90 (the worst 8 of 80) ~ 650 ms or more.
    // Measured from when each was finally sent, all but one would be about 0 ms. The rate is low
    // so that even a busy machine catches up soon after the stall and most requests stay behind
    // no one (at 100 req/s half of them were behind it, and a busy machine's median reached the
    // max: 1166 of 1584 ms, 924 of 1048 ms, once 1475 ms).
    await using server = delayServer((i) => (i === 10 ? 1000 : 0));
    const r = await bench({
      url: server.url,
      requests: 80,
      concurrency: 1,
      keepAlive: true,
      rate: 20,
      engine,
    });
    assert.equal(r.complete, 80);
    const p = r.percentiles;
    assert.ok(p["100"]! >= 1000 - EARLY, `max ${p["100"]}`);
    assert.ok(p["90"]! >= 500, `p90 ${p["90"]}`);
    // most requests were not behind the stall: the median lies well below the worst
    assert.ok(p["50"]! < 0.5 * p["100"]!, `p50 ${p["50"]}, max ${p["100"]}`);
    // Time per request is the real mean (~130 ms here), not concurrency x time / complete (~50 ms).
    assert.equal(r.timePerRequestMs, r.connectionTimes!.total.mean);
    assert.ok(r.timePerRequestMs >= 100, `${r.timePerRequestMs} ms`);
  });
}

Deno.test("benchCells() --repeat on a steady 20 ms server: the interval holds the median and the truth", async () => {
  await using server = delayServer(() => 20);
  const [cell] = await benchCells({
    urls: [server.url],
    concurrencyLevels: [2],
    requests: 10,
    keepAlive: true,
    engine: "raw",
    repeat: 5,
    warmup: 2,
  });
  const s = cell!.summary.requestsPerSecond;
  assert.equal(cell!.runs.length, 5);
  assert.ok(s.min <= s.ciLow && s.ciLow <= s.median && s.median <= s.ciHigh && s.ciHigh <= s.max);
  // The truth: 2 connections of >= 20 ms make at most 100 req/s, and nothing here is slow enough
  // to drop below a quarter of it.
  assert.ok(s.ciLow <= 2000 / (20 - EARLY), JSON.stringify(s));
  assert.ok(s.ciHigh >= 25, JSON.stringify(s));
  const p50 = cell!.summary.percentiles["50"]!;
  assert.ok(p50 >= 20 - EARLY && p50 < 1000, `p50 ${p50}`);
});
