import assert from "node:assert/strict";
import { checkAssertions, parseAssertion } from "../../lib/bench/assertions.ts";
import type { BenchCell, BenchRun } from "../../lib/bench/cell.ts";
import { compareCells, pairCells, regressions } from "../../lib/bench/compare.ts";
import { renderBenchComparison } from "../../lib/bench/render/compare.ts";
import { clientUsage, summarize } from "../../lib/bench/summary.ts";
import { Series } from "../../lib/bench/_series.ts";
import { UsageError } from "../../lib/errors.ts";

/** A run with `rps` req/s and the given latencies (ms); only the fields summaries read. */
function run(rps: number, latenciesMs: number[]): BenchRun {
  const s = new Series();
  for (const ms of latenciesMs) s.add(ms * 1000);
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    requestsPerSecond: rps,
    complete: latenciesMs.length,
    failed: 0,
    non2xx: 0,
    percentiles: { "50": at(0.5), "99": at(0.99), "100": sorted.at(-1)! },
    connectionTimes: { total: s.stats() },
    statusCodes: { "200": latenciesMs.length },
    errors: {},
    latencyHistogram: s.state().hist,
    client: { cpuPercent: 10, saturated: false },
  } as unknown as BenchRun;
}

function cell(url: string, runs: BenchRun[], concurrency = 1): BenchCell {
  return { url, concurrency, runs, summary: summarize(runs) } as unknown as BenchCell;
}

const steady = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + i * 0.01);

Deno.test("summarize() merges histograms and sums counts across runs", () => {
  const s = summarize([run(100, [1, 1, 1, 1]), run(120, [9, 9, 9, 9]), run(110, [5])]);
  assert.equal(s.runs, 3);
  assert.equal(s.complete, 9);
  assert.equal(s.statusCodes["200"], 9);
  assert.equal(s.requestsPerSecond.median, 110);
  assert.equal(s.requestsPerSecond.min, 100);
  assert.equal(s.requestsPerSecond.max, 120);
  assert.ok(Math.abs(s.percentiles["50"]! - 5) < 0.01, `${s.percentiles["50"]}`);
  assert.ok(Math.abs(s.meanLatencyMs - 45 / 9) < 0.001);
});

Deno.test("clientUsage() calls a run saturated at 90% of its threads, not a short one", () => {
  assert.deepEqual(clientUsage(950, 1000, 1), {
    cpuPercent: 95,
    saturated: true,
    limit: "its threads were 95% busy",
  });
  assert.deepEqual(clientUsage(900, 1000, 2), { cpuPercent: 45, saturated: false });
  assert.equal(clientUsage(95, 100, 1).saturated, false);
});

Deno.test("clientUsage() sees the fetch ceiling: one busy thread, or most of the machine", () => {
  // fetch on one thread: the process at 80%, but its JS thread (which runs fetch's I/O) at 94%
  const oneBusy = clientUsage(800, 1000, 1, { busiestThreadPercent: 94, cpus: 8 });
  assert.equal(oneBusy.saturated, true);
  assert.equal(oneBusy.limit, "its busiest thread was 94% busy");
  // fetch on two threads of a 2-CPU machine: each 60% busy, 1.5 CPUs in all
  const machine = clientUsage(1500, 1000, 2, { busiestThreadPercent: 64, cpus: 2 });
  assert.equal(machine.cpuPercent, 75);
  assert.equal(machine.machinePercent, 75);
  assert.equal(machine.saturated, true);
  assert.equal(machine.limit, "it took 75% of the machine's 2 CPUs");
  // raw at -c 50: one thread 58% busy, a third of the machine
  const raw = clientUsage(640, 1000, 1, { busiestThreadPercent: 58, cpus: 2 });
  assert.equal(raw.saturated, false);
  assert.equal(raw.limit, undefined);
});

Deno.test("compareCells() uses the runs' req/s when there are enough runs", () => {
  const base = cell("http://a/", [100, 102, 101, 99, 103].map((r) => run(r, steady(20, 1))));
  const slower = cell("http://a/", [80, 81, 79, 82, 80].map((r) => run(r, steady(20, 1))));
  const c = compareCells(base, slower);
  assert.equal(c.method, "runs");
  assert.equal(c.verdict, "slower");
  assert.ok(c.p < 0.05);
  assert.ok(Math.abs(c.slowdownPercent - (1 - 80 / 101) * 100) < 1e-9);
  assert.ok(c.requestsPerSecond.interval!.low < 0.8 && c.requestsPerSecond.interval!.high > 0.78);
  assert.equal(compareCells(slower, base).verdict, "faster");
  assert.equal(compareCells(base, base).verdict, "no significant difference");
});

Deno.test("compareCells() falls back to the latency histograms with 3 runs against 3", () => {
  const fast = cell("http://a/", [1000, 1010, 990].map((r) => run(r, steady(50, 1))));
  const slow = cell("http://b/", [50, 50, 49].map((r) => run(r, steady(50, 20))));
  const c = compareCells(fast, slow);
  assert.equal(c.method, "latency");
  assert.equal(c.verdict, "slower");
  const near = cell("http://a/", [1000, 1010, 990].map((r) => run(r, steady(50, 1.02))));
  assert.equal(compareCells(fast, near).verdict, "no significant difference", "within 5% noise");
  assert.equal(compareCells(fast, fast).verdict, "no significant difference");
});

Deno.test("compareCells() on 3 runs a side calls no difference when the runs' medians overlap", () => {
  // Per request the two sides differ clearly (p far below 0.05, medians 10% apart), but the runs
  // vary as much between themselves: the same server measured twice on a busy machine.
  const tight = (ms: number) => Array.from({ length: 200 }, (_, i) => ms + i * 0.0002);
  const base = cell("http://a/", [run(100, tight(1)), run(99, tight(1)), run(60, tight(1.6))]);
  const again = cell("http://a/", [run(91, tight(1.1)), run(90, tight(1.1)), run(65, tight(1.5))]);
  const c = compareCells(base, again);
  assert.equal(c.method, "latency");
  assert.ok(c.p < 0.05, `${c.p}`);
  assert.ok(Math.abs(c.p50.ratio - 1) >= 0.05, `${c.p50.ratio}`);
  assert.equal(c.verdict, "no significant difference");
});

Deno.test("pairCells() pairs by URL, then by path, then two single-URL reports by concurrency", () => {
  const r = [run(1, [1])];
  const base = [cell("http://h:1/a", r, 1), cell("http://h:1/a", r, 2), cell("http://h:1/b", r, 1)];
  const same = pairCells(base, [cell("http://h:1/b", r, 1), cell("http://h:1/a", r, 1)]);
  assert.deepEqual(same.map(([b, n]) => [b.url, n.url]), [
    ["http://h:1/a", "http://h:1/a"],
    ["http://h:1/b", "http://h:1/b"],
  ]);
  const moved = pairCells(base, [cell("http://h:2/a", r, 2)]);
  assert.deepEqual(moved.map(([b, n]) => [b.concurrency, n.url]), [[2, "http://h:2/a"]]);
  const two = pairCells([cell("http://x/", r, 5)], [cell("http://y/z", r, 5)]);
  assert.equal(two.length, 1);
});

Deno.test("regressions() keeps cells significantly slower by more than the threshold", () => {
  const base = cell("http://a/", [100, 102, 101, 99, 103].map((r) => run(r, [1])));
  const slower = cell("http://a/", [90, 91, 89, 92, 90].map((r) => run(r, [1])));
  const cmp = { cells: [compareCells(base, slower)], onlyInBase: [], onlyInNew: [] };
  assert.equal(regressions(cmp, 5).length, 1);
  assert.equal(regressions(cmp, 15).length, 0);
});

Deno.test("parseAssertion() reads k6-style thresholds", () => {
  const a = (t: string) => {
    const { metric, operator, value } = parseAssertion(t);
    return { metric, operator, value };
  };
  assert.deepEqual(a("p99<20ms"), {
    metric: { kind: "latency", percentile: "99" },
    operator: "<",
    value: 20,
  });
  assert.deepEqual(a(" p50 <= 5ms "), {
    metric: { kind: "latency", percentile: "50" },
    operator: "<=",
    value: 5,
  });
  assert.deepEqual(a("p99.9<1s").value, 1000);
  assert.deepEqual(a("max<500us").value, 0.5);
  assert.deepEqual(a("rps>5000"), { metric: { kind: "rps" }, operator: ">", value: 5000 });
  assert.deepEqual(a("failed=0"), {
    metric: { kind: "failed", percent: false },
    operator: "=",
    value: 0,
  });
  assert.deepEqual(a("errors<1%"), {
    metric: { kind: "failed", percent: true },
    operator: "<",
    value: 1,
  });
  assert.equal(a("failed==0").operator, "=");
  for (const bad of ["", "p99", "p99<", "<20ms", "p97<1ms", "rps>5000ms", "errors<1ms", "x=1"]) {
    assert.throws(() => parseAssertion(bad), UsageError, bad);
  }
});

Deno.test("checkAssertions() checks every cell; a cell without responses fails latency checks", () => {
  const good = cell("http://a/", [run(100, [1, 2, 3])]);
  const empty = cell("http://b/", [run(0, [])]);
  const outcomes = checkAssertions([parseAssertion("p99<20ms"), parseAssertion("rps>50")], [
    good,
    empty,
  ]);
  assert.deepEqual(outcomes.map((o) => o.held), [true, true, false, false]);
});

Deno.test("renderBenchComparison() counts one cell in the singular", () => {
  const base = cell("http://a/", [100, 102, 101, 99, 103].map((r) => run(r, [1])));
  const text = renderBenchComparison({
    cells: [compareCells(base, base)],
    onlyInBase: [],
    onlyInNew: [],
  });
  assert.match(text, /\n1 cell: 0 faster, 0 slower, 1 no significant difference\n/);
});
