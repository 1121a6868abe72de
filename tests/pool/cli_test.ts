import assert from "node:assert/strict";
import { netlab, netlabCommand } from "../_netlab.ts";

/** `netlab pool ...` running in the background; killed when disposed. */
async function startCli(args: string[]) {
  const child = netlabCommand({
    args: ["pool", ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let port = 0;
  while (port === 0) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`netlab pool exited before it was ready:\n${log}`);
    log += value;
    const m = log.match(/ready: .*listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) port = Number(m[1]);
  }
  return {
    port,
    log: () => log,
    /** Sends `signal` and resolves with the exit code and everything logged. */
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      for (let r = await lines.read(); !r.done; r = await lines.read()) log += r.value;
      return { code: (await child.status).code, log };
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await lines.cancel().catch(() => {});
      await child.status;
    },
  };
}

for (const workers of ["0", "300", "two"]) {
  Deno.test(`netlab pool --workers ${workers} is a usage error (exit 2)`, async () => {
    const { code, stderr } = await netlab(["pool", "--workers", workers]);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /^netlab pool: Invalid --workers ".*": expected an integer from 1 to 256\n/,
    );
    assert.match(stderr, /Try 'netlab pool --help'/);
  });
}

Deno.test("netlab pool --dispatch other is a usage error (exit 2)", async () => {
  const { code, stderr } = await netlab(["pool", "--dispatch", "round-robin"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^netlab pool: Invalid --dispatch "round-robin": expected kernel or queue\n/,
  );
});

for (const dispatch of ["kernel", "queue"]) {
  Deno.test(`netlab pool logs ready, names workers in the access log, drains on SIGTERM (${dispatch})`, async () => {
    await using pool = await startCli(["--port", "0", "--workers", "2", "--dispatch", dispatch]);
    // kernel dispatch runs the epoll engine where it can (here), queue dispatch Deno.serve
    const engine = dispatch === "kernel" ? "epoll" : "deno";
    assert.match(
      pool.log(),
      new RegExp(`ready: 2 workers \\(${dispatch} dispatch, engine ${engine}\\)`),
    );
    const res = await fetch(`http://127.0.0.1:${pool.port}/page.html`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("x-netlab-worker") ?? "", /^[12]$/);
    await res.body?.cancel();
    const { code, log } = await pool.stop();
    assert.equal(code, 0);
    assert.match(log, /netlab\.access: worker [12]: 127\.0\.0\.1:\d+ GET \/page\.html 200/);
    assert.match(log, /Served 1 request: worker 1 \d, worker 2 \d/);
  });
}

Deno.test("netlab pool --quiet still prints the ready line", async () => {
  await using pool = await startCli(["--port", "0", "--workers", "1", "--quiet"]);
  assert.match(pool.log(), /^netlab pool: ready: 1 workers/m);
  const { code, log } = await pool.stop("SIGINT");
  assert.equal(code, 0);
  assert.doesNotMatch(log, /netlab\.access/);
});

Deno.test("netlab pool --quiet --log-format json prints a JSON readiness line", async () => {
  const child = netlabCommand({
    args: [
      "pool",
      "--port",
      "0",
      "--workers",
      "1",
      "--quiet",
      "--log-format",
      "json",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!log.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    log += value;
  }
  child.kill("SIGTERM");
  for (let r = await reader.read(); !r.done; r = await reader.read()) log += r.value;
  assert.equal((await child.status).code, 0);
  const first = JSON.parse(log.split("\n")[0]!);
  assert.match(first.message, /^listening on http:\/\/127\.0\.0\.1:\d+\/ \(engine epoll\)$/);
  assert.equal(first.properties.engine, "epoll");
});

Deno.test("netlab pool exits on SIGTERM when nobody reads its stderr any more", async () => {
  const child = netlabCommand({
    args: ["pool", "--port", "0", "--workers", "1", "--log-format", "json"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    let log = "";
    let port = 0;
    while (port === 0) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`netlab pool exited before it was ready:\n${log}`);
      log += value;
      port = Number(log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//)?.[1] ?? 0);
    }
    // From here on stderr is never read: long paths fill the pipe with access-log lines.
    const path = `/${"x".repeat(8 * 1024)}`;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      await res.body?.cancel();
    }
    child.kill("SIGTERM");
    // a bound on a hang (a blocked stderr write holds it forever), far past a slow machine's stop
    const hung = new Promise<"hung">((resolve) => (timer = setTimeout(resolve, 60_000, "hung")));
    const status = await Promise.race([child.status, hung]);
    assert.notEqual(status, "hung", "still running 60 s after SIGTERM");
    assert.equal((status as Deno.CommandStatus).code, 0);
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await reader.cancel().catch(() => {});
    await child.status;
  }
});
