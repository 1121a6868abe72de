/**
 * bench() on several threads (Web Workers plus the calling thread), both engines: the totals,
 * stops, failures and percentiles must be those of one run, not of one thread.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bench } from "../../lib/bench/run.ts";
import { benchMatrix } from "../../lib/bench/matrix.ts";
import { shareOf } from "../../lib/bench/threads.ts";
import { newSample, Outcome } from "../../lib/bench/engine.ts";
import { Recorder } from "../../lib/bench/recorder.ts";
import { deadPort, fixedServer, response, startServer } from "./_servers.ts";
import { netlab } from "../_netlab.ts";

for (const engine of ["fetch", "raw"] as const) {
  Deno.test(`bench() [${engine}] on 3 threads sends exactly the requests asked, in total`, async () => {
    await using server = fixedServer("threads\n");
    const r = await bench({
      url: server.url,
      requests: 101,
      concurrency: 7,
      threads: 3,
      keepAlive: true,
      engine,
    });
    assert.equal(r.complete, 101);
    assert.equal(r.failed, 0);
    assert.equal(server.requests(), 101);
    assert.equal(r.concurrency, 7);
    assert.equal(r.documentLength, 8);
    assert.equal(r.htmlTransferred, 101 * 8);
    assert.deepEqual(r.statusCodes, { "200": 101 });
    assert.equal(r.keepAliveRequests, 101);
    assert.equal(r.serverSoftware, "netlab-test");
    const one = response("threads\n", { keepAlive: true }).length;
    if (engine === "raw") {
      assert.equal(r.totalTransferred, 101 * one);
      // Each connection is opened at most once and kept; a thread that finds the counter run out
      // before it starts opens fewer, so under a busy scheduler the count may fall short of 7.
      assert.ok(server.connections() >= 1 && server.connections() <= 7, `${server.connections()}`);
    }
  });

  Deno.test(`bench() [${engine}] on 2 threads shares one Document Length for Length failures`, async () => {
    // Whichever response comes first sets the length; exactly the other half then fail, which
    // holds only if both threads compare with the same first response.
    await using server = startServer(({ index }) => ({
      bytes: response(index % 2 === 0 ? "short" : "much longer"),
      close: true,
    }));
    const r = await bench({ url: server.url, requests: 20, concurrency: 4, threads: 2, engine });
    assert.equal(r.complete, 20);
    assert.ok(r.documentLength === 5 || r.documentLength === 11, `${r.documentLength}`);
    assert.equal(r.failures.length, 10);
    assert.equal(r.failed, 10);
  });

  Deno.test(`bench() [${engine}] on 3 threads counts each Connect failure once`, async () => {
    const r = await bench({
      url: `http://127.0.0.1:${deadPort()}/`,
      requests: 9,
      concurrency: 3,
      threads: 3,
      engine,
    });
    assert.equal(r.complete, 0);
    assert.equal(r.failed, 9);
    assert.deepEqual(r.failures, { connect: 9, receive: 0, length: 0, exceptions: 0 });
    assert.deepEqual(r.errors, { "connection refused": 9 });
  });

  Deno.test(`bench() [${engine}] on 2 threads stops every thread at the time limit`, async () => {
    await using server = fixedServer("t");
    const r = await bench({
      url: server.url,
      timeLimitSeconds: 0.5,
      concurrency: 4,
      threads: 2,
      keepAlive: true,
      engine,
    });
    assert.ok(r.complete > 0);
    assert.equal(r.failed, 0);
    assert.equal(r.interrupted, false);
    assert.ok(server.requests() >= r.complete);
  });

  Deno.test(`bench() [${engine}] on 2 threads stops on its signal and reports what was done`, async () => {
    await using server = fixedServer("s");
    const controller = new AbortController();
    const progress: number[] = [];
    const timer = setInterval(() => {
      if (server.requests() >= 40) controller.abort();
    }, 10);
    const r = await bench({
      url: server.url,
      requests: 10_000_000,
      concurrency: 4,
      threads: 2,
      keepAlive: true,
      engine,
    }, { signal: controller.signal, onProgress: (p) => progress.push(p.done) });
    clearInterval(timer);
    assert.equal(r.interrupted, true);
    // the server had seen 40 requests at the abort; up to one per client (4) was still in flight
    assert.ok(r.complete >= 40 - 4 && r.complete < 10_000_000, `${r.complete}`);
    assert.equal(r.failed, 0);
    // Requests stopped in flight reached the server but count nowhere.
    assert.ok(server.requests() >= r.complete);
    assert.equal(progress.at(-1), r.complete);
  });

  Deno.test(`bench() [${engine}] on 2 threads ends the whole run at a timeout (-s)`, async () => {
    await using server = startServer(({ index }) =>
      index < 4 ? { bytes: response("ok"), close: true } : null
    );
    const r = await bench({
      url: server.url,
      requests: 100,
      concurrency: 2,
      threads: 2,
      timeoutSeconds: 1,
      engine,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.complete, 4);
    // Both threads may see their own request pass the timeout before hearing of the other's.
    assert.ok(r.failures.exceptions >= 1 && r.failures.exceptions <= 2, JSON.stringify(r.errors));
    assert.equal(r.failed, r.failures.exceptions);
  });

  Deno.test(`bench() [${engine}] stopped while its workers load ends at once, having sent nothing`, async () => {
    await using server = fixedServer("early");
    const controller = new AbortController();
    const run = bench({
      url: server.url,
      requests: 1_000_000,
      concurrency: 6,
      threads: 3,
      keepAlive: true,
      engine,
    }, { signal: controller.signal });
    // The workers were asked to start, none is ready yet: Ctrl-C at the worst moment.
    controller.abort();
    const r = await run;
    assert.equal(r.interrupted, true);
    assert.equal(r.threads, 3);
    assert.equal(r.complete + r.failed, 0);
    assert.equal(server.requests(), 0);
  });

  Deno.test(`benchMatrix() [${engine}] on threads runs every combination exactly`, async () => {
    await using a = fixedServer("aa");
    await using b = fixedServer("bbbb");
    const results = await benchMatrix({
      urls: [a.url, b.url],
      concurrencyLevels: [1, 2, 5],
      requests: 25,
      threads: 3,
      keepAlive: true,
      engine,
    });
    assert.deepEqual(results.map((r) => [r.concurrency, r.threads, r.complete, r.failed]), [
      [1, 1, 25, 0],
      [2, 2, 25, 0],
      [5, 3, 25, 0],
      [1, 1, 25, 0],
      [2, 2, 25, 0],
      [5, 3, 25, 0],
    ]);
    assert.deepEqual(results.map((r) => r.htmlTransferred), [50, 50, 50, 100, 100, 100]);
    assert.equal(a.requests(), 75);
    assert.equal(b.requests(), 75);
  });
}

Deno.test("bench() --rate on 2 threads keeps one schedule across threads", async () => {
  await using server = fixedServer("r");
  const r = await bench({
    url: server.url,
    rate: 200,
    requests: 60,
    concurrency: 4,
    threads: 2,
    keepAlive: true,
    engine: "raw",
  });
  assert.equal(r.complete, 60);
  assert.equal(server.requests(), 60);
  // 60 requests due over 295 ms: two threads must not each run the schedule.
  assert.ok(r.timeTakenSeconds >= 0.25, `took ${r.timeTakenSeconds}`);
  assert.ok(r.requestsPerSecond <= 240, `rate ${r.requestsPerSecond}`);
});

Deno.test("bench() whose worker cannot start fails in one line naming the thread and why", async () => {
  await using server = fixedServer("w");
  const dir = await Deno.makeTempDir({ prefix: "netlab-bench-worker-" });
  try {
    await Deno.writeTextFile(join(dir, "throws.js"), "throw new Error('no loop here');\n");
    // Run in a child process: Deno prints a dead worker's own error (and, under `deno test`, the
    // type check of a missing module) straight to stderr, which would read as a failure in a green
    // run. Here that output is captured, and only the errors bench() returns are checked.
    const script = join(dir, "script.ts");
    await Deno.writeTextFile(
      script,
      `import { bench } from "${new URL("../../lib/bench/run.ts", import.meta.url).href}";
const asked: string[] = [];
for (const file of ["missing.js", "throws.js"]) {
  try {
    await bench({
      url: ${JSON.stringify(server.url)},
      requests: 10,
      concurrency: 2,
      threads: 2,
      workerUrl: new URL(file, ${JSON.stringify(pathToFileURL(`${dir}/`).href)}),
    });
    asked.push("resolved");
  } catch (err) {
    asked.push(\`\${(err as Error).name}: \${(err as Error).message}\`);
  }
}
console.log(JSON.stringify(asked));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", new URL("../../deno.json", import.meta.url).pathname, "-A", script],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const [missing, throws] = JSON.parse(new TextDecoder().decode(out.stdout));
    // A bundle without the worker module was this case; the run must end, not wait for "ready".
    assert.match(
      missing,
      /^NetlabError: Cannot run bench thread 2 of 2: [^\n]*missing\.js[^\n]*[^.]$/,
    );
    assert.equal(throws, "NetlabError: Cannot run bench thread 2 of 2: error: no loop here");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(server.requests(), 0);
});

Deno.test("bench() without --allow-read stays on one thread unless threads are asked for", async () => {
  await using server = fixedServer("p");
  const dir = await Deno.makeTempDir({ prefix: "netlab-bench-perm-" });
  try {
    // A library user's script run with only --allow-net: workers cannot read their module.
    const script = join(dir, "script.ts");
    await Deno.writeTextFile(
      script,
      `import { bench } from "${new URL("../../lib/bench/run.ts", import.meta.url).href}";
const url = ${JSON.stringify(server.url)};
const r = await bench({ url, requests: 20, concurrency: 2 });
let asked = "resolved";
try {
  await bench({ url, requests: 20, concurrency: 2, threads: 2 });
} catch (err) {
  asked = err instanceof Error ? err.message : String(err);
}
console.log(JSON.stringify({ complete: r.complete, threads: r.threads, asked }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        "--allow-net=127.0.0.1",
        script,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(r.complete, 20);
    assert.equal(r.threads, 1);
    assert.match(r.asked, /^Cannot run bench thread 2 of 2: requires read access/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(server.requests(), 20);
});

Deno.test("shareOf() shares connections out so that they add up to the concurrency", () => {
  for (const [c, t] of [[7, 3], [50, 2], [2, 2], [5, 4]] as const) {
    const shares = Array.from({ length: t }, (_, i) => shareOf(c, t, i));
    assert.equal(shares.reduce((a, b) => a + b, 0), c);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
  }
});

Deno.test("Recorder.absorb() adds counters and merges histograms, so percentiles span threads", () => {
  const info = {
    url: new URL("http://127.0.0.1/"),
    method: "GET",
    engine: "raw" as const,
    concurrency: 2,
    threads: 2,
    keepAlive: false,
    rate: null,
    sentBytes: 0,
    variableLength: false,
    exactWireBytes: true,
    connectTimes: true,
  };
  // Thread A's requests took 1 ms, thread B's 9 ms: neither alone knows the run's percentiles.
  const record = (rec: Recorder, ms: number, n: number, status: number) => {
    const s = newSample();
    for (let i = 0; i < n; i++) {
      Object.assign(s, {
        outcome: Outcome.Complete,
        intended: 0,
        start: 0,
        connectMs: 0.1,
        writeDone: 0.2,
        firstByte: ms / 2,
        end: ms,
        status,
        wireBytes: 100,
        bodyBytes: 10,
        server: "x",
      });
      rec.record(s);
    }
    s.outcome = Outcome.Receive;
    s.cause = "connection reset";
    rec.record(s);
  };
  const a = new Recorder(info);
  const b = new Recorder(info);
  record(a, 1, 100, 200);
  record(b, 9, 300, 404);
  const all = new Recorder(info);
  // Through JSON: the state must be plain data to cross a worker boundary.
  all.absorb(JSON.parse(JSON.stringify(a.state())));
  all.absorb(JSON.parse(JSON.stringify(b.state())));
  const r = all.result(0, { interrupted: false, timedOut: false });
  assert.equal(r.complete, 400);
  assert.equal(r.failed, 2);
  assert.deepEqual(r.errors, { "connection reset": 2 });
  assert.deepEqual(r.statusCodes, { "200": 100, "404": 300 });
  assert.equal(r.non2xx, 300);
  assert.equal(r.totalTransferred, 402 * 100);
  const total = r.connectionTimes!.total;
  assert.equal(total.min, 1);
  assert.equal(total.max, 9);
  assert.equal(total.mean, 7);
  // Three quarters of the requests took 9 ms: the run's median is 9 ms (thread A alone says 1).
  assert.ok(Math.abs(r.percentiles["50"]! - 9) < 0.01, `p50 ${r.percentiles["50"]}`);
  assert.ok(Math.abs(r.percentiles["99"]! - 9) < 0.01, `p99 ${r.percentiles["99"]}`);
  assert.ok(Math.abs(r.connectionTimes!.waiting.median - 4.3) < 0.01);
  assert.ok(Math.abs(r.connectionTimes!.connect!.mean - 0.1) < 1e-9);
  const direct = new Recorder(info);
  direct.absorb(a.state());
  direct.absorb(b.state());
  assert.deepEqual(
    direct.result(0, { interrupted: false, timedOut: false }).percentiles,
    r.percentiles,
  );
});

Deno.test("netlab bench --threads 2 starts its workers from main.ts and prints one report", async () => {
  await using server = fixedServer("cli");
  const out = await netlab([
    "bench",
    "-q",
    "--format",
    "json",
    "-k",
    "-n",
    "50",
    "-c",
    "4",
    "--threads",
    "2",
    server.url,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const r = JSON.parse(out.stdout)[0].runs[0];
  assert.equal(r.complete, 50);
  assert.equal(r.concurrency, 4);
  assert.equal(r.threads, 2);
  assert.equal(server.requests(), 50);
});

Deno.test("netlab bench --format csv says how many threads each run used, capped at -c", async () => {
  await using server = fixedServer("csv");
  const out = await netlab([
    "bench",
    "-q",
    ...["--format", "csv", "-n", "12", "--threads", "3", "--concurrency-levels", "1,2,6"],
    server.url,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const [head, ...rows] = out.stdout.trim().split("\n").map((l) => l.split(","));
  const col = head!.indexOf("threads");
  assert.ok(col >= 0, head!.join(","));
  assert.deepEqual(rows.map((r) => r[col]), ["1", "2", "3"]);
  assert.equal(server.requests(), 36);
});

Deno.test("netlab bench --threads 0 is a usage error", async () => {
  const out = await netlab(["bench", "--threads", "0", "http://127.0.0.1:1/"]);
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /^netlab bench: Invalid --threads "0": expected a whole number of at least 1\n/,
  );
});
