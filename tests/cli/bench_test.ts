import assert from "node:assert/strict";
import { deadPort, fixedServer } from "../bench/_servers.ts";
import { netlab, netlabCommand } from "../_netlab.ts";

Deno.test("netlab bench -c greater than -n is a usage error (exit 2, one line and a hint)", async () => {
  const { code, stdout, stderr } = await netlab([
    "bench",
    "-n",
    "5",
    "-c",
    "10",
    "http://127.0.0.1:1/",
  ]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.equal(
    lines[0],
    "netlab bench: Cannot use concurrency level 10 greater than total number of requests 5",
  );
  assert.match(lines[1]!, /netlab bench --help/);
});

Deno.test("netlab bench with a bad URL or flag is a usage error without a stack trace", async () => {
  for (
    const args of [
      ["bench", "ftp://127.0.0.1/"],
      ["bench", "http://127.0.0.1:70000/"],
      ["bench", "--engine", "curl", "http://127.0.0.1:1/"],
      ["bench", "-n", "x", "http://127.0.0.1:1/"],
      ["bench", "--frobnicate", "http://127.0.0.1:1/"],
      ["bench"],
    ]
  ) {
    const { code, stderr } = await netlab(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stderr.trim().split("\n").length, 2, stderr);
    assert.doesNotMatch(stderr, /\bat \S+:\d+:\d+/);
  }
});

Deno.test("netlab bench with nothing listening prints the report and exits 1", async () => {
  const { code, stdout, stderr } = await netlab([
    "bench",
    "-n",
    "4",
    "-c",
    "2",
    `http://127.0.0.1:${deadPort()}/`,
  ]);
  assert.equal(code, 1);
  assert.match(stdout, /^Complete requests:\s+0$/m);
  assert.match(stdout, /^Failed requests:\s+4$/m);
  assert.match(stdout, /^\s+\(Connect: 4, Receive: 0, Length: 0, Exceptions: 0\)$/m);
  assert.equal(stderr.trim(), "netlab bench: every request failed (connection refused)");
});

for (const engine of ["fetch", "raw"]) {
  Deno.test(`netlab bench -t on a refused port (${engine}) ends by itself, every request failed`, async () => {
    // Refused connects settle without the event loop turning: before, the client looped on them,
    // its -t timer never ran and the run grew until it ran out of memory. A child that has not
    // ended after 60 s (the run asks for 1 s) is killed, and the test fails on its exit code.
    const child = netlabCommand({
      args: ["bench", "--engine", engine, "-t", "1", `http://127.0.0.1:${deadPort()}/`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    clearTimeout(kill);
    assert.equal(out.code, 1);
    assert.match(new TextDecoder().decode(out.stdout), /^Complete requests:\s+0$/m);
  });
}

Deno.test("netlab bench prints ab's report and exits 0", async () => {
  await using server = fixedServer("hello");
  const { code, stdout, stderr } = await netlab([
    "bench",
    "-n",
    "20",
    "-c",
    "4",
    "--engine",
    "raw",
    server.url,
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, ""); // not a terminal: no progress bar
  assert.match(stdout, /^Benchmarking 127\.0\.0\.1 \(be patient\)\.\.\.\.\.done$/m);
  assert.match(stdout, /^Complete requests:\s+20$/m);
  assert.match(stdout, /^Document Length:\s+5 bytes$/m);
  assert.match(stdout, /^ 100%\s+[\d.]+ \(longest request\)$/m);
});

Deno.test("netlab bench --concurrency-levels with several URLs prints the lab's tables", async () => {
  await using a = fixedServer("a");
  await using b = fixedServer("bb");
  const out = await Deno.makeTempFile({ suffix: ".md" });
  try {
    const { code, stdout } = await netlab([
      "bench",
      "-n",
      "10",
      "--concurrency-levels",
      "1,2,5",
      "--format",
      "markdown",
      "--out",
      out,
      a.url,
      b.url,
    ]);
    assert.equal(code, 0);
    assert.equal(stdout, "");
    const text = await Deno.readTextFile(out);
    assert.equal(text.match(/^\| No test \| Concurrency level \|/gm)?.length, 2);
    assert.equal(text.match(/^\| \d \| [125] \| [\d.]+ \| 10 \| 0 \|/gm)?.length, 6);
    assert.equal(a.connections(), 30);
    assert.equal(b.connections(), 30);
  } finally {
    await Deno.remove(out);
  }
});

Deno.test("netlab bench --format json and csv carry the same counts", async () => {
  await using server = fixedServer("json");
  const json = await netlab(["bench", "-n", "6", "-c", "3", "-k", "--format", "json", server.url]);
  assert.equal(json.code, 0);
  const cells = JSON.parse(json.stdout);
  assert.equal(cells.length, 1, "always an array of cells");
  const r = cells[0].runs[0];
  assert.equal(r.complete, 6);
  assert.equal(r.keepAliveRequests, 6);
  const csv = await netlab(["bench", "-n", "6", "--format", "csv", server.url]);
  assert.equal(csv.code, 0);
  const [header, row] = csv.stdout.trim().split("\n");
  const row1 = Object.fromEntries(header!.split(",").map((h, i) => [h, row!.split(",")[i]]));
  assert.equal(row1.complete, "6");
  assert.equal(row1.status_codes, "200:6");
});

Deno.test("netlab bench -p with a missing file is a one-line runtime error", async () => {
  const { code, stderr } = await netlab([
    "bench",
    "-p",
    "/nonexistent/body",
    "http://127.0.0.1:1/",
  ]);
  assert.equal(code, 1);
  assert.equal(
    stderr.trim(),
    'netlab bench: Cannot read body file "/nonexistent/body": no such file',
  );
});

Deno.test("netlab bench --out into a missing directory fails in one line before the run", async () => {
  await using server = fixedServer("never asked");
  const { code, stdout, stderr } = await netlab([
    "bench",
    "--out",
    "/nonexistent/dir/report.txt",
    server.url,
  ]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr.trim(),
    'netlab bench: Cannot write report to "/nonexistent/dir/report.txt": no such directory ' +
      '"/nonexistent/dir"',
  );
  assert.equal(server.requests(), 0);
});

for (const [signal, exit] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`netlab bench stops on ${signal}, prints the report of what was done and exits ${exit}`, async () => {
    await using server = fixedServer("ctrl-c");
    const child = netlabCommand({
      args: ["bench", "-k", "-n", "100000000", "--engine", "raw", server.url],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Wait until requests flow, then interrupt.
    for (let i = 0; i < 1000 && server.requests() < 10; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(signal);
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    // a run cut short exits as shells expect: 128 + the signal's number
    assert.equal(out.code, exit);
    assert.equal(out.signal, null, "stopped by netlab itself, not killed by the signal");
    const complete = Number(/^Complete requests:\s+(\d+)$/m.exec(stdout)?.[1]);
    // the server had seen 10 requests; the one in flight (-c 1) may count nowhere
    assert.ok(complete >= 9 && complete < 100000000, stdout);
    assert.match(stdout, /interrupted: the report covers the requests done so far/);
  });
}

Deno.test("netlab bench --out keeps the previous file when Ctrl-C cuts the run short", async () => {
  await using server = fixedServer("ctrl-c");
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/result.json`;
    await Deno.writeTextFile(out, "the previous report\n");
    const child = netlabCommand({
      args: ["bench", "-k", "-t", "1h", "--engine", "raw", "--format", "json", "--out", out]
        .concat(server.url),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    for (let i = 0; i < 1000 && server.requests() < 10; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGINT");
    const result = await child.output();
    assert.equal(result.code, 130);
    assert.equal(await Deno.readTextFile(out), "the previous report\n");
    const partial = JSON.parse(await Deno.readTextFile(`${dir}/result.interrupted.json`));
    assert.equal(partial[0].interrupted, true);
    assert.match(
      new TextDecoder().decode(result.stderr),
      /the run was interrupted: wrote its report to ".*\/result\.interrupted\.json" and left ".*\/result\.json" as it was/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench -H 'Host: ...' reaches the server on the default engine (auto: raw)", async () => {
  const hosts: string[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    hosts.push(req.headers.get("host") ?? "");
    return new Response("ok");
  });
  const { code, stderr } = await netlab([
    "bench",
    "-n",
    "3",
    "-H",
    "Host: example.test",
    `127.0.0.1:${server.addr.port}/`, // no scheme: http
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  assert.deepEqual(hosts, ["example.test", "example.test", "example.test"]);
});

Deno.test("netlab bench --out keeps the previous file when every request failed", async () => {
  // A server that accepts and never answers: the run is under way until the test lets go.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/result.json`;
    await Deno.writeTextFile(out, "the previous report\n");
    const child = netlabCommand({
      args: ["bench", "--engine", "raw", "--format", "json", "--out", out, "-n", "1", "-s", "60"]
        .concat(`http://127.0.0.1:${listener.addr.port}/`),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const conn = await listener.accept(); // the run has started
    assert.equal(await Deno.readTextFile(out), "the previous report\n");
    conn.close(); // the request fails; the report is written beside the file
    const result = await child.output();
    assert.equal(result.code, 1);
    assert.equal(await Deno.readTextFile(out), "the previous report\n");
    const failed = JSON.parse(await Deno.readTextFile(`${dir}/result.failed.json`));
    assert.equal(failed[0].runs[0].failed, 1);
    assert.match(new TextDecoder().decode(result.stderr), /every request failed: wrote its report/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --out into /proc names the real cause, not a missing directory", async () => {
  const { code, stderr } = await netlab(["bench", "--out", "/proc/x.json", "http://127.0.0.1:9/"]);
  assert.equal(code, 1);
  assert.equal(
    stderr.trim(),
    'netlab bench: Cannot write report to "/proc/x.json": "/proc" does not take new files ' +
      "(its file system refused to create one)",
  );
});

Deno.test("netlab bench [fetch] names why it could not connect, as raw does", async () => {
  for (const engine of ["fetch", "raw"]) {
    const { code, stderr } = await netlab(["bench", "--engine", engine, "http://nosuch.invalid/"]);
    assert.equal(code, 1);
    assert.match(stderr, /every request failed \(failed to lookup address information/, engine);
  }
});

Deno.test("netlab bench | true: the closed pipe stops it quietly (exit 141, nothing on stderr)", async () => {
  await using server = fixedServer("hello");
  const child = netlabCommand({
    args: ["bench", "-n", "3", server.url],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel(); // the reader is gone long before the report is written
  const out = await child.output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(out.code, 141);
});
