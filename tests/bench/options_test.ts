import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { MAX_CONCURRENCY, normalizeOptions, resolveBenchFlags } from "../../lib/bench/options.ts";
import { benchCommand } from "../../lib/cli/bench.ts";
import type { CliContext } from "../../lib/cli/context.ts";

const URL1 = "http://127.0.0.1:8000/page.html";

Deno.test("normalizeOptions() fills ab's defaults", () => {
  const o = normalizeOptions({ url: URL1 });
  assert.equal(o.requests, 1);
  assert.equal(o.concurrency, 1);
  assert.equal(o.timeoutSeconds, 30);
  assert.equal(o.engine, "fetch");
  assert.equal(o.spec.method, "GET");
  assert.equal(o.spec.keepAlive, false);
  assert.equal(o.rate, null);
  assert.equal(normalizeOptions({ url: URL1, timeLimitSeconds: 5 }).requests, Infinity);
  const post = normalizeOptions({ url: URL1, body: new Uint8Array(3) });
  assert.equal(post.spec.method, "POST");
  assert.deepEqual(post.spec.headers, [["Content-Type", "text/plain"]]);
});

Deno.test("normalizeOptions() rejects what ab rejects, as usage errors", () => {
  const bad = [
    { url: "not a url" },
    { url: "ftp://127.0.0.1/" },
    { url: URL1, concurrency: 0 },
    { url: URL1, requests: 1.5 },
    { url: URL1, requests: 5, concurrency: 10 },
    { url: URL1, concurrency: 2 },
    { url: URL1, timeoutSeconds: 0 },
    { url: URL1, rate: -1 },
    { url: URL1, method: "GE T" },
    { url: URL1, headers: [["Bad Name", "x"]] as Array<[string, string]> },
  ];
  for (const options of bad) {
    assert.throws(() => normalizeOptions(options), UsageError, JSON.stringify(options));
  }
  assert.throws(
    () => normalizeOptions({ url: URL1, requests: 5, concurrency: 10 }),
    /^UsageError: Cannot use concurrency level 10 greater than total number of requests 5$/,
  );
});

Deno.test("resolveBenchFlags() turns ab's flags into a plan", () => {
  const plan = resolveBenchFlags({
    requests: "100",
    concurrency: "10",
    keepalive: true,
    head: true,
    header: ["X-A: 1", "Cookie: a=b; c=d"],
    timeout: "2.5",
    engine: "raw",
    format: "markdown",
  }, [URL1]);
  assert.deepEqual(plan.concurrencyLevels, [10]);
  assert.deepEqual(plan.base, {
    keepAlive: true,
    requests: 100,
    timeoutSeconds: 2.5,
    method: "HEAD",
    headers: [["X-A", "1"], ["Cookie", "a=b; c=d"]],
    engine: "raw",
  });
  assert.equal(plan.format, "markdown");
  const matrix = resolveBenchFlags({ requests: "100", concurrencyLevels: "1,5,10" }, [URL1, URL1]);
  assert.deepEqual(matrix.concurrencyLevels, [1, 5, 10]);
  assert.equal(resolveBenchFlags({ postfile: "x" }, [URL1]).base.method, "POST");
});

Deno.test("resolveBenchFlags() rejects bad flags with one clear line", () => {
  const cases: Array<[Parameters<typeof resolveBenchFlags>[0], string[], RegExp]> = [
    [{}, [], /Missing URL/],
    [{ requests: "ten" }, [URL1], /^Invalid -n "ten": expected a number$/],
    [{ requests: "5", concurrency: "6" }, [URL1], /greater than total number of requests 5/],
    [{ requests: "5", concurrencyLevels: "1,10" }, [URL1], /concurrency level 10/],
    [{ header: ["NoColon"] }, [URL1], /^Invalid -H "NoColon": expected "Name: value"$/],
    [{ engine: "curl" }, [URL1], /Invalid engine "curl"/],
    [{ format: "xml" }, [URL1], /Invalid format "xml"/],
    [
      {},
      ["http://127.0.0.1:99999/"],
      /^Invalid URL "http:\/\/127\.0\.0\.1:99999\/": port 99999 is out of range/,
    ],
    [{}, ["127.0.0.1:0/"], /port 0 is out of range \(1-65535\)/],
    [{ auth: "nocolon" }, [URL1], /^Invalid -A "nocolon": expected user:password$/],
    [{ postfile: "a", putfile: "b" }, [URL1], /either -p \(POST\) or -u \(PUT\)/],
  ];
  for (const [flags, urls, message] of cases) {
    assert.throws(() => resolveBenchFlags(flags, urls), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
});

Deno.test("benchCommand() parses ab's short flags from a literal argv", async () => {
  const printed: string[] = [];
  const ctx: CliContext = {
    signal: AbortSignal.abort(),
    print: (t) => printed.push(t),
    printErr: () => {},
    stderrIsTerminal: false,
    logStream: new WritableStream(),
    setExitCode: () => {},
    interruptExitCode: () => 130,
  };
  const cmd = benchCommand(ctx);
  cmd.exitOverride();
  // An aborted signal: the run stops before it starts, and the report still prints.
  await cmd.parseAsync(
    ["-n", "10", "-c", "2", "-k", "-H", "A: 1", "-H", "B: 2", "-s", "3", "--format", "json", URL1],
    { from: "user" },
  );
  const opts = cmd.opts() as Record<string, unknown>;
  assert.equal(opts.requests, "10");
  assert.equal(opts.concurrency, "2");
  assert.equal(opts.keepalive, true);
  assert.deepEqual(opts.header, ["A: 1", "B: 2"]);
  assert.equal(opts.timeout, "3");
  const [cell] = JSON.parse(printed.join(""));
  assert.equal(cell.interrupted, true);
  assert.equal(cell.runs[0].interrupted, true);
});

Deno.test("normalizeOptions() caps -c at MAX_CONCURRENCY with a usage error", () => {
  assert.throws(
    () => normalizeOptions({ url: "http://127.0.0.1/", requests: 20_000, concurrency: 20_000 }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message ===
        `Invalid concurrency "20000": at most ${MAX_CONCURRENCY} connections (each takes a file descriptor and a local port)`,
  );
  assert.equal(
    normalizeOptions({
      url: "http://127.0.0.1/",
      requests: MAX_CONCURRENCY,
      concurrency: MAX_CONCURRENCY,
    }).concurrency,
    MAX_CONCURRENCY,
  );
});

Deno.test("resolveBenchFlags() reads -t and -s as durations, bounded to what a timer can wait", () => {
  const plan = resolveBenchFlags({ timelimit: "2m", timeout: "500ms" }, [URL1]);
  assert.equal(plan.base.timeLimitSeconds, 120);
  assert.equal(plan.base.timeoutSeconds, 0.5);
  assert.equal(resolveBenchFlags({ timelimit: "30" }, [URL1]).base.timeLimitSeconds, 30);
  for (
    const [flags, message] of [
      [{ timelimit: "2147484" }, /^Invalid -t "2147484": expected a duration/],
      [{ timelimit: "0" }, /^Invalid -t "0": .*above 0/],
      [{ timeout: "10x" }, /^Invalid -s "10x"/],
    ] as const
  ) {
    assert.throws(() => resolveBenchFlags(flags, [URL1]), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("normalizeOptions() refuses a time limit or timeout a timer cannot wait for", () => {
  assert.throws(
    () => normalizeOptions({ url: URL1, timeLimitSeconds: 2147484 }),
    /^UsageError: Invalid time limit "2147484": expected at most 2073600 seconds/,
  );
  assert.throws(() => normalizeOptions({ url: URL1, timeoutSeconds: 3e6 }), /Invalid timeout/);
});

Deno.test("resolveBenchFlags() takes a URL without scheme as http://, as curl does", () => {
  assert.deepEqual(resolveBenchFlags({}, ["127.0.0.1:8000/page.html"]).urls, [
    "http://127.0.0.1:8000/page.html",
  ]);
  assert.deepEqual(resolveBenchFlags({}, ["[::1]:8000"]).urls, ["http://[::1]:8000/"]);
});

Deno.test("resolveBenchFlags() switches to the raw engine for a Host header, and says so", () => {
  for (const engine of [undefined, "fetch"]) {
    const plan = resolveBenchFlags({
      header: ["host: example.test"],
      ...(engine ? { engine } : {}),
    }, [URL1]);
    assert.equal(plan.base.engine, "raw");
    assert.deepEqual(plan.notices, ["fetch cannot send a Host header: using --engine raw"]);
  }
  assert.deepEqual(resolveBenchFlags({ header: ["X-A: 1"] }, [URL1]).notices, []);
  assert.throws(
    () => normalizeOptions({ url: URL1, engine: "fetch", headers: [["Host", "x"]] }),
    /^UsageError: The fetch engine cannot send a Host header/,
  );
});

Deno.test("resolveBenchFlags() turns ab's -C, -A and -u into headers and a PUT", () => {
  const plan = resolveBenchFlags({
    cookie: ["a=1", "b=2"],
    auth: "user:pässword",
    putfile: "body.txt",
  }, [URL1]);
  assert.deepEqual(plan.base.headers, [
    ["Cookie", "a=1; b=2"],
    ["Authorization", `Basic ${btoa("user:p\u00c3\u00a4ssword")}`],
  ]);
  assert.equal(plan.base.method, "PUT");
  assert.equal(plan.postFile, "body.txt");
});
