import assert from "node:assert/strict";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { benchCells } from "../../lib/bench/cells.ts";
import type { BenchCell } from "../../lib/bench/cell.ts";
import { loadStart, MergeError, mergeReports } from "../../lib/bench/merge.ts";
import { netlab } from "../_netlab.ts";
import { percentilesOfAll } from "./_histograms.ts";
import { fixedServer } from "./_servers.ts";

async function cellOf(url: string, concurrency = 2): Promise<BenchCell> {
  const [cell] = await benchCells({
    urls: [url],
    concurrencyLevels: [concurrency],
    requests: 20,
    engine: "raw",
    threads: 1,
    repeat: 2,
  });
  return cell!;
}

Deno.test("mergeReports() sums counts exactly and takes percentiles from the merged histograms", async () => {
  await using server = fixedServer("hello\n");
  const a = await cellOf(server.url);
  const b = await cellOf(server.url, 3);
  const shardA = { ...a, shard: { index: 0, count: 2, requests: 40, concurrency: 5, rate: null } };
  const shardB = { ...b, shard: { index: 1, count: 2, requests: 40, concurrency: 5, rate: null } };
  const [m] = mergeReports([{ name: "a", cells: [shardA] }, { name: "b", cells: [shardB] }]);
  assert.ok(m !== undefined);
  assert.equal(m.concurrency, 5);
  assert.deepEqual(m.merged, { cells: 2, shards: [0, 1], urls: [server.url] });
  assert.equal(m.shard, undefined);
  assert.equal(m.runs.length, 2);
  for (const [j, run] of m.runs.entries()) {
    const ra = a.runs[j]!;
    const rb = b.runs[j]!;
    assert.equal(run.complete, 40);
    assert.equal(run.totalTransferred, ra.totalTransferred + rb.totalTransferred);
    assert.equal(run.htmlTransferred, ra.htmlTransferred + rb.htmlTransferred);
    assert.deepEqual(run.statusCodes, { "200": 40 });
    assert.deepEqual(
      run.percentiles,
      percentilesOfAll([ra.latencyHistogram, rb.latencyHistogram], [
        ra.percentiles["100"]!,
        rb.percentiles["100"]!,
      ]),
    );
    const start = Math.min(loadStart(ra), loadStart(rb));
    const end = Math.max(Date.parse(ra.endedAt), Date.parse(rb.endedAt));
    assert.equal(run.endedAt, new Date(end).toISOString());
    assert.equal(run.requestsPerSecond, 40 / ((end - start) / 1000));
    assert.ok(loadStart(ra) >= Date.parse(ra.startedAt) && loadStart(ra) <= end);
    const total = run.connectionTimes!.total;
    assert.equal(total.min, Math.min(ra.connectionTimes!.total.min, rb.connectionTimes!.total.min));
    const mean = (ra.connectionTimes!.total.mean + rb.connectionTimes!.total.mean) / 2;
    assert.ok(Math.abs(total.mean - mean) < 1e-9, "the mean of equal counts' means");
    assert.equal(total.median, run.percentiles["50"]);
  }
  assert.equal(m.summary.complete, 80);
  assert.equal(m.summary.runs, 2);
});

Deno.test("mergeReports() refuses cells that do not line up, unless mixed where it may", async () => {
  await using server = fixedServer("hello\n");
  const a = await cellOf(server.url);
  const other = { ...a, url: `${server.url}other` };
  const refuses = (b: BenchCell, why: RegExp, cells = [a]) =>
    assert.throws(
      () => mergeReports([{ name: "a.json", cells }, { name: "b.json", cells: [b] }]),
      (err: Error) => err instanceof MergeError && why.test(err.message),
      String(why),
    );
  refuses(other, /Cannot merge cell 1: URL .* in "a\.json" but .*other in "b\.json" \(--mixed/);
  refuses({ ...a, runs: a.runs.map((r) => ({ ...r, method: "POST" })) }, /method GET .* POST/);
  refuses({ ...a, concurrency: 3 }, /concurrency 2 in "a\.json" but 3 in "b\.json"/);
  refuses({ ...a, runs: a.runs.slice(1) }, /2 runs in "a\.json" but 1 in "b\.json"/);
  refuses(a, /2 cells against 1/, [a, a]);
  const shard = { index: 1, count: 3, requests: 60, concurrency: 2, rate: null };
  refuses({ ...a, shard }, /shard 1\/3 is in both "a\.json" and "b\.json"/, [{ ...a, shard }]);
  const [mixed] = mergeReports([{ name: "a", cells: [a] }, { name: "b", cells: [other] }], {
    mixed: true,
  });
  assert.deepEqual(mixed?.merged?.urls, [a.url, other.url]);
  assert.equal(mixed?.summary.complete, 80);
  // open model: the shards' rates add up to the whole run's, and so do their connections
  const paced = (c: BenchCell, rate: number) => ({
    ...c,
    runs: c.runs.map((r) => ({ ...r, rate })),
  });
  const [open] = mergeReports([
    { name: "a", cells: [paced(a, 34)] },
    { name: "b", cells: [paced(a, 33)] },
    { name: "c", cells: [paced(a, 33)] },
  ]);
  assert.deepEqual(open?.runs.map((r) => [r.rate, r.concurrency]), [[100, 6], [100, 6]]);
});

Deno.test("netlab bench --shard --start-at, then bench merge: the whole run, exactly", async () => {
  await using server = fixedServer("hello\n");
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const schema = new URL("../../docs/bench-result.schema.json", import.meta.url);
  const validate = ajv.compile(JSON.parse(await Deno.readTextFile(schema)));
  const dir = await Deno.makeTempDir({ prefix: "netlab-shards-" });
  try {
    // far enough ahead for three processes to start; a machine so busy that one started after
    // the time (a usage error: the time is past) gets a second try, further ahead
    let startAt = "";
    let shards: Awaited<ReturnType<typeof netlab>>[] = [];
    for (const lead of [8000, 60_000]) {
      startAt = String(Date.now() + lead);
      shards = await Promise.all([0, 1, 2].map((i) =>
        netlab([
          "bench",
          ...["-n", "100", "-c", "7", "--engine", "raw", "--format", "json", "-q"],
          ...["--shard", `${i}/3`, "--start-at", startAt, "--out", `${dir}/shard-${i}.json`],
          server.url,
        ])
      ));
      if (!shards.some((s) => /that time is already past/.test(s.stderr))) break;
    }
    for (const s of shards) assert.equal(s.code, 0, s.stderr);
    const cells = await Promise.all(
      [0, 1, 2].map(async (i) =>
        JSON.parse(await Deno.readTextFile(`${dir}/shard-${i}.json`)) as BenchCell[]
      ),
    );
    for (const c of cells) assert.ok(validate(c), JSON.stringify(validate.errors));
    assert.deepEqual(cells.map((c) => c[0]!.runs[0]!.complete), [34, 33, 33]);
    assert.deepEqual(cells.map((c) => c[0]!.concurrency), [3, 2, 2]);
    assert.deepEqual(cells[1]![0]!.shard, {
      index: 1,
      count: 3,
      requests: 100,
      concurrency: 7,
      rate: null,
    });
    for (const c of cells) {
      assert.ok(Date.parse(c[0]!.runs[0]!.startedAt) >= Number(startAt), "waited for the start");
    }
    // what kubectl logs gives: a pod's stderr around its JSON
    const noisy = `${dir}/shard-2.json`;
    await Deno.writeTextFile(noisy, `a line on stderr\n${await Deno.readTextFile(noisy)}`);
    const merged = await netlab([
      "bench",
      "merge",
      "--format",
      "json",
      ...[0, 1, 2].map((i) => `${dir}/shard-${i}.json`),
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    const [m]: BenchCell[] = JSON.parse(merged.stdout);
    assert.ok(validate([m]), JSON.stringify(validate.errors));
    assert.equal(m!.summary.complete, 100);
    assert.equal(m!.concurrency, 7);
    assert.deepEqual(m!.merged?.shards, [0, 1, 2]);
    const runs = cells.map((c) => c[0]!.runs[0]!);
    assert.deepEqual(
      m!.summary.percentiles,
      percentilesOfAll(runs.map((r) => r.latencyHistogram), runs.map((r) => r.percentiles["100"]!)),
    );
    const ab = await netlab(["bench", "merge", `${dir}/shard-0.json`, `${dir}/shard-1.json`]);
    assert.equal(ab.code, 0, ab.stderr);
    assert.match(ab.stdout, /Complete requests:\s+67\n/);
    assert.match(ab.stderr, /cell 1 has 2 of 3 shards; missing 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --shard, --start-at and bench merge: bad input is one line", async () => {
  const url = "http://127.0.0.1:9/";
  for (
    const [args, why] of [
      [["--shard", "3/3", url], /Invalid shard "3\/3"/],
      [["--shard", "0/3", "-n", "10", "-c", "2", url], /Cannot split -c 2 among 3 shards/],
      [["--start-at", "2020-01-01T00:00:00Z", url], /already past/],
      [["--start-at", "soon", url], /Invalid start time "soon"/],
    ] as const
  ) {
    const { code, stderr } = await netlab(["bench", ...args]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, why);
    assert.equal(stderr.trim().split("\n").length <= 2, true, stderr);
  }
  const missing = await netlab(["bench", "merge", "/nonexistent/a.json"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot read report "\/nonexistent\/a\.json": no such file/);
});
