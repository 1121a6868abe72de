import assert from "node:assert/strict";
import { resolveBenchFlags } from "../../lib/cli/bench_flags.ts";
import type { BenchCell } from "../../lib/bench/cell.ts";
import { emitBenchJob, shardPlan } from "../../lib/cli/bench_shards.ts";
import { UsageError } from "../../lib/errors.ts";
import { parseStartAt } from "../../lib/bench/shard.ts";
import { netlab } from "../_netlab.ts";

const URL1 = "http://127.0.0.1:9/a";
const URL2 = "http://127.0.0.1:9/b";

Deno.test("shardPlan() splits every level and records the whole run in each cell", () => {
  const plan = resolveBenchFlags(
    { requests: "100", concurrencyLevels: "3,10", rate: "50" },
    [URL1, URL2],
  );
  const { plan: mine, annotate } = shardPlan(plan, { index: 2, count: 3 });
  assert.deepEqual(mine.concurrencyLevels, [1, 3]);
  assert.equal(mine.base.requests, 33);
  assert.equal(mine.base.rate, 16);
  // cells come URL by URL, each at every level: shard 2's -c 3 is the whole run's 10 in cell 2 and 4
  const cells = mine.urls.flatMap((url) =>
    mine.concurrencyLevels.map((concurrency) => ({ url, concurrency }) as BenchCell)
  );
  assert.deepEqual(
    annotate(cells).map((c) => c.shard),
    [3, 10, 3, 10].map((concurrency) => ({
      index: 2,
      count: 3,
      requests: 100,
      concurrency,
      rate: 50,
    })),
  );
  assert.throws(
    () => shardPlan(plan, { index: 0, count: 4 }),
    (err: Error) =>
      err instanceof UsageError && /Cannot split -c 3 among 4 shards/.test(err.message),
    "shard 0 would have a connection, but shard 3 none: refused on every shard",
  );
});

Deno.test("emitBenchJob() starts the shards two minutes ahead unless told, and bounds the Job", () => {
  const now = Date.parse("2026-12-02T08:00:00.300Z");
  const plan = resolveBenchFlags({ requests: "100", concurrency: "10", timelimit: "30" }, [URL1]);
  const job = emitBenchJob(plan, { emit: "k8s-job", shards: "2" }, ["-n", "100", URL1], now);
  assert.match(job, /- 2026-12-02T08:02:01\.000Z\n/);
  // 120.7 s of waiting, 30 s of -t, 300 s of slack
  assert.match(job, /activeDeadlineSeconds: 451\n/);
  assert.match(job, /image: netlab:\d+\.\d+\.\d+/);
  const at = emitBenchJob(
    plan,
    {
      emit: "k8s-job",
      shards: "2",
      startAt: "2026-12-02T09:00:00Z",
    },
    [URL1],
    now,
  );
  assert.match(at, /- 2026-12-02T09:00:00\.000Z\n/);
  assert.throws(
    () => emitBenchJob(plan, { emit: "k8s-job", shards: "2", startAt: "1" }, [URL1], now),
    /already past/,
  );
});

/** What the shell makes of `$(...)` in an example, as a reader's shell would. */
function shellValue(expr: string): string {
  const out = new Deno.Command("sh", { args: ["-c", `printf %s ${expr}`], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("the --start-at examples (bench --help, bench.md) give a time ahead, not a fixed one", async () => {
  const { stdout } = await netlab(["bench", "--help"]);
  const inHelp = /--start-at ("\$\(date [^)]*\)")/.exec(stdout);
  assert.ok(inHelp, "bench --help computes its --start-at");
  assert.ok(parseStartAt(shellValue(inHelp[1]!)) > Date.now());
  const doc = await Deno.readTextFile(new URL("../../docs/bench.md", import.meta.url));
  const inDoc = /^T=(\$\(date [^)]*\))$/m.exec(doc);
  assert.ok(inDoc, "bench.md computes T");
  assert.ok(parseStartAt(shellValue(inDoc[1]!)) > Date.now());
  assert.match(doc, /--start-at "\$T"/);
  assert.doesNotMatch(doc + stdout, /--start-at \d{4}-/, "no fixed date, soon in the past");
});
