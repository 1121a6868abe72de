import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { normalizeOptions } from "../../lib/bench/options.ts";
import { resolveBenchFlags } from "../../lib/cli/bench_flags.ts";

const URL1 = "http://127.0.0.1:8000/page.html";

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

Deno.test("resolveBenchFlags() takes a URL without scheme as http://, as curl does", () => {
  assert.deepEqual(resolveBenchFlags({}, ["127.0.0.1:8000/page.html"]).urls, [
    "http://127.0.0.1:8000/page.html",
  ]);
  assert.deepEqual(resolveBenchFlags({}, ["[::1]:8000"]).urls, ["http://[::1]:8000/"]);
});

Deno.test("resolveBenchFlags() switches to the raw engine for a Host header, and says so", () => {
  const plan = resolveBenchFlags({ header: ["host: example.test"], engine: "fetch" }, [URL1]);
  assert.equal(plan.base.engine, "raw");
  assert.deepEqual(plan.notices, ["fetch cannot send a Host header: using --engine raw"]);
  // auto (the default) is raw for a Host header whatever the environment says
  const auto = resolveBenchFlags({ header: ["host: example.test"] }, [URL1]);
  assert.equal(auto.base.engine, "auto");
  assert.deepEqual(auto.notices, []);
  const o = normalizeOptions({ url: URL1, engine: "auto", headers: [["Host", "x"]] });
  assert.equal(o.engine, "raw");
  assert.match(o.engineReason, /^auto: a Host header/);
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

Deno.test("resolveBenchFlags() names the flag of a count or rate out of range", () => {
  for (
    const [flags, message] of [
      [{ concurrency: "0" }, /^Invalid -c "0": expected a whole number of at least 1$/],
      [{ requests: "1.5" }, /^Invalid -n "1.5": expected a whole number of at least 1$/],
      [{ threads: "0" }, /^Invalid --threads "0": expected a whole number of at least 1$/],
      [{ rate: "-3" }, /^Invalid --rate "-3": expected a number greater than 0$/],
      [{ concurrencyLevels: "1,0" }, /^Invalid --concurrency-levels "0": expected a whole/],
    ] as const
  ) {
    assert.throws(() => resolveBenchFlags(flags, [URL1]), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  }
});
