/**
 * The perf report's paired rows (bench/_paired.ts), its printer, and the ab and redis-benchmark
 * runners' verdicts on a run that must not count (bench/_load.ts).
 */
import assert from "node:assert/strict";
import { abRun, redisRun } from "../../bench/_load.ts";
import { pairedRow, type Sample } from "../../bench/_paired.ts";
import { renderRows } from "../../bench/_tools.ts";
import { deadPort, response, startServer } from "./_servers.ts";
import { needs } from "../_tools.ts";

const sample = (rps: number, over: Partial<Sample> = {}): Sample => ({
  rps,
  cpuUs: 1e6 / rps,
  clientCores: 0.5,
  clientWait: 0.1,
  ...over,
});
const options = { section: "t", what: "x", anchorName: "nginx", figure: "rps" as const, goal: 1 };

Deno.test("pairedRow() leaves out a round where either side had a problem, and says why", () => {
  const netlab = [sample(100), sample(300, { problem: "ab: 3 failed requests" }), sample(120)];
  const anchor = [sample(100), sample(100), sample(100, { problem: "wrk: Socket errors: x" })];
  const row = pairedRow(options, netlab, anchor);
  assert.equal(row.ratio, 1);
  assert.deepEqual(row.range, [1, 1]);
  assert.equal(
    row.note,
    "2 of 3 rounds voided (netlab ab: 3 failed requests; nginx wrk: Socket errors: x)",
  );
});

Deno.test("pairedRow() gives the median of per-round ratios, inverted for CPU per request", () => {
  const netlab = [sample(100), sample(200), sample(400)];
  const anchor = [sample(100), sample(100), sample(100)];
  assert.equal(pairedRow(options, netlab, anchor).ratio, 2);
  const cpu = pairedRow({ ...options, figure: "cpuUs" }, netlab, anchor);
  assert.equal(cpu.ratio, 2, "half the CPU per request is 2x");
  assert.equal(cpu.unit, "µs");
  assert.equal(cpu.netlab, 1e6 / 200);
});

Deno.test("pairedRow() marks a row client-bound when its generator kept 90% of a core busy", () => {
  const busy = [sample(100, { clientCores: 0.92, clientWait: 0.05 })];
  const idle = [sample(100, { clientCores: 0.6, clientWait: 0.1 })];
  const bound = pairedRow({ ...options, client: "ab" }, busy, idle);
  assert.equal(
    bound.note,
    "client-bound (against netlab only): ab busy 97% (92% CPU + 5% run queue) vs netlab, 70% (60% CPU + 10% run queue) vs nginx",
  );
  const both = pairedRow({ ...options, client: "ab" }, busy, busy);
  assert.match(both.note ?? "", /^client-bound: ab busy 97%/);
  const free = pairedRow({ ...options, client: "ab" }, idle, idle);
  assert.match(free.note ?? "", /^ab busy 70%/);
  assert.equal(pairedRow(options, idle, idle).note, undefined, "no client named, no note");
});

Deno.test("pairedRow() marks a row CPU-bound when its generator was runnable 90% of a run", () => {
  const queued = [sample(100, { clientCores: 0.66, clientWait: 0.29 })];
  const idle = [sample(100, { clientCores: 0.6, clientWait: 0.1 })];
  const row = pairedRow({ ...options, client: "wrk" }, idle, queued);
  assert.match(
    row.note ?? "",
    /^CPU-bound \(against nginx only\): wrk busy 70% .* vs netlab, 95% \(66% CPU \+ 29% run queue\)/,
  );
});

Deno.test("renderRows() prints the note, and a row with every round voided misses its goal", () => {
  const row = pairedRow(options, [sample(100, { problem: "ab: exited 1" })], [sample(100)]);
  assert.ok(Number.isNaN(row.ratio));
  const table = renderRows([row]).split("\n");
  assert.match(table[0]!, /\| note \|$/);
  assert.match(table[2]!, /NaNx ✗ \| >= 1x \| 1 of 1 rounds voided \(netlab ab: exited 1\) \|$/);
});

Deno.test(
  ...needs(["ab"], "abRun() flags non-2xx answers and counts the client's CPU"),
  async () => {
    let status = "200 OK";
    await using server = startServer(() => ({ bytes: response("hi", { status }), close: true }));
    const good = await abRun(server.url, { requests: 20, concurrency: 2 });
    assert.equal(good.problem, undefined);
    assert.equal(good.requests, 20);
    assert.ok(
      good.elapsed > 0 && good.clientCpu >= 0 && good.clientWait >= 0,
      JSON.stringify(good),
    );
    status = "500 Internal Server Error";
    const bad = await abRun(server.url, { requests: 20, concurrency: 2 });
    assert.equal(bad.problem, "ab: 20 non-2xx responses");
  },
);

/** A free port for redis-server (it cannot take port 0 and say which it got). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return (listener.addr as Deno.NetAddr).port;
}

Deno.test(
  ...needs(
    ["redis-server", "redis-benchmark"],
    "redisRun() counts a clean run, and flags a server it cannot reach instead of hanging",
  ),
  async () => {
    const port = closedPort();
    const server = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
    }).spawn();
    try {
      const until = Date.now() + 30_000;
      while (true) {
        try {
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
          break;
        } catch {
          assert.ok(Date.now() < until, "redis-server never listened");
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const good = await redisRun("127.0.0.1", port, { test: "set", requests: 200, clients: 2 });
      assert.equal(good.problem, undefined, JSON.stringify(good));
      assert.equal(good.requests, 200);
      assert.ok(good.rps > 0 && good.elapsed > 0 && good.clientCpu >= 0, JSON.stringify(good));
    } finally {
      server.kill();
      await server.status;
    }
    const bad = await redisRun("127.0.0.1", deadPort(), {
      test: "get",
      requests: 200,
      timeoutSeconds: 1,
    });
    assert.match(bad.problem ?? "", /^redis-benchmark: .*(Could not connect|killed after 1 s)/);
  },
);
