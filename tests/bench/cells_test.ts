import assert from "node:assert/strict";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { fixedServer, response, startServer, type TestServer } from "./_servers.ts";
import { netlab } from "../_netlab.ts";
import type { BenchCell } from "../../lib/bench/cell.ts";

const SCHEMA = new URL("../../docs/bench-result.schema.json", import.meta.url);

async function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(await Deno.readTextFile(SCHEMA)));
}

/** A keep-alive server that answers every request after `ms` milliseconds. */
function slowServer(ms: number): TestServer {
  return startServer(({ keepAlive }) =>
    new Promise((resolve) =>
      setTimeout(() => resolve({ bytes: response("slow\n", { keepAlive }), close: !keepAlive }), ms)
    )
  );
}

async function benchJson(args: string[]): Promise<BenchCell[]> {
  const { code, stdout, stderr } = await netlab(["bench", "-q", "--format", "json", ...args]);
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

Deno.test("netlab bench --repeat --warmup --format json: cells that validate against the schema", async () => {
  await using server = fixedServer("hello\n");
  const validate = await validator();
  for (const engine of ["raw", "fetch"]) {
    const before = server.requests();
    const cells = await benchJson([
      "-k",
      "-n",
      "20",
      "--concurrency-levels",
      "1,2",
      "--repeat",
      "3",
      "--warmup",
      "4",
      "--engine",
      engine,
      server.url,
    ]);
    assert.ok(validate(cells), JSON.stringify(validate.errors));
    assert.equal(cells.length, 2);
    assert.deepEqual(cells.map((c) => c.concurrency), [1, 2]);
    for (const c of cells) {
      assert.equal(c.runs.length, 3);
      assert.equal(c.warmup, 4);
      assert.equal(c.summary.complete, 60);
      assert.equal(c.summary.runs, 3);
      const rps = c.summary.requestsPerSecond;
      assert.ok(rps.min <= rps.ciLow && rps.ciLow <= rps.median && rps.median <= rps.ciHigh);
      assert.ok(rps.ciHigh <= rps.max);
      assert.ok(c.summary.percentiles["50"]! <= c.summary.percentiles["99"]!);
      assert.equal(c.environment.deno, Deno.version.deno);
      assert.equal(typeof c.client.saturated, "boolean");
    }
    // Exact counts: the warm-up requests are sent, and not counted.
    assert.equal(server.requests() - before, 2 * (4 + 3 * 20));
  }
});

Deno.test("netlab bench --repeat prints the median run and the spread across runs", async () => {
  await using server = fixedServer("hello\n");
  const { code, stdout } = await netlab(["bench", "-q", "-n", "10", "--repeat", "3", server.url]);
  assert.equal(code, 0);
  assert.match(stdout, /Across runs \(the report above is the median run's\)/);
  assert.match(
    stdout,
    /Requests per second: +[\d.]+ \[#\/sec\] \(median of 3 runs; min [\d.]+, max/,
  );
  assert.match(stdout, /Client CPU: [\d.]+% of its threads/);
  const md = await netlab([
    "bench",
    "-q",
    "-n",
    "10",
    "--repeat",
    "2",
    "--format",
    "markdown",
    server.url,
  ]);
  assert.match(md.stdout, /\| Runs \| Spread \(min-max req\/s\) \| 95% CI \(req\/s\) \|/);
});

Deno.test("netlab bench --assert reports each assertion; a failed one exits 3", async () => {
  await using server = fixedServer("hello\n");
  const ok = await netlab([
    "bench",
    "-q",
    "-n",
    "10",
    "--assert",
    "failed=0",
    "--assert",
    "errors<1%",
    "--assert",
    "p99<60s",
    server.url,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Assertions\n {2}ok {6}failed=0 /);
  assert.match(ok.stdout, /All 3 assertions held\n$/);
  const bad = await netlab([
    "bench",
    "-q",
    "-n",
    "10",
    "--assert",
    "rps>1e99",
    "--assert",
    "complete>10",
    server.url,
  ]);
  assert.equal(bad.code, 2, "1e99 is not a number the grammar accepts");
  const failed = await netlab(["bench", "-q", "-n", "10", "--assert", "complete>10", server.url]);
  assert.equal(failed.code, 3);
  assert.match(failed.stdout, /FAILED {2}complete>10 +\(10\)/);
  assert.match(failed.stdout, /1 of 1 assertions failed\n$/);
});

Deno.test("netlab bench --assert with a malformed expression is a usage error before any request", async () => {
  await using server = fixedServer("hello\n");
  for (const expr of ["p99<<3", "p42<3ms", "rps>fast", "latency<3ms", "p99<3parsecs"]) {
    const { code, stderr } = await netlab(["bench", "-n", "1", "--assert", expr, server.url]);
    assert.equal(code, 2, expr);
    assert.match(stderr, new RegExp(`Invalid assertion "${expr.replace(/[<>]/g, ".")}"`));
  }
  assert.equal(server.requests(), 0);
});

Deno.test("netlab bench compare: a report against itself shows no significant difference", async () => {
  await using server = fixedServer("hello\n");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/base.json`;
    const { code } = await netlab([
      "bench",
      "-q",
      "-k",
      "-n",
      "30",
      "--concurrency-levels",
      "1,3",
      "--repeat",
      "5",
      "--format",
      "json",
      "--out",
      file,
      server.url,
    ]);
    assert.equal(code, 0);
    const cmp = await netlab(["bench", "compare", file, file, "--fail-on-regression", "0"]);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.equal(cmp.stdout.match(/verdict no significant difference/g)?.length, 2);
    assert.match(cmp.stdout, /2 cells: 0 faster, 0 slower, 2 no significant difference/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench compare: a 20 ms server against a fast one is slower with 3 runs each", async () => {
  await using fast = fixedServer("fast\n");
  await using slow = slowServer(20);
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, server] of [["base", fast], ["new", slow]] as const) {
      const { code } = await netlab([
        "bench",
        "-q",
        "-k",
        "-n",
        "20",
        "-c",
        "2",
        "--repeat",
        "3",
        "--engine",
        "raw",
        "--format",
        "json",
        "--out",
        `${dir}/${name}.json`,
        server.url,
      ]);
      assert.equal(code, 0);
    }
    const cmp = await netlab(["bench", "compare", `${dir}/base.json`, `${dir}/new.json`]);
    assert.equal(cmp.code, 0);
    assert.match(cmp.stdout, /verdict slower \(p = .*latency histograms/);
    const gate = await netlab([
      "bench",
      "compare",
      `${dir}/base.json`,
      `${dir}/new.json`,
      "--fail-on-regression",
      "5",
    ]);
    assert.equal(gate.code, 1);
    assert.match(gate.stderr, /1 cell\(s\) slower by more than 5%/);
    const back = await netlab(["bench", "compare", `${dir}/new.json`, `${dir}/base.json`]);
    assert.match(back.stdout, /verdict faster/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench compare reads a lab's results.json and refuses what is not a report", async () => {
  await using server = fixedServer("hello\n");
  const dir = await Deno.makeTempDir();
  try {
    const cells = await benchJson(["-n", "5", server.url]);
    await Deno.writeTextFile(`${dir}/results.json`, JSON.stringify({ cells }));
    await Deno.writeTextFile(`${dir}/other.json`, JSON.stringify({ hello: 1 }));
    const ok = await netlab(["bench", "compare", `${dir}/results.json`, `${dir}/results.json`]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await netlab(["bench", "compare", `${dir}/results.json`, `${dir}/other.json`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot read report ".*other.json": not a netlab bench report/);
    const missing = await netlab(["bench", "compare", `${dir}/nope.json`, `${dir}/other.json`]);
    assert.match(missing.stderr, /Cannot read report ".*nope.json": no such file/);
    const usage = await netlab(["bench", "compare", "a", "b", "--fail-on-regression", "x"]);
    assert.equal(usage.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
