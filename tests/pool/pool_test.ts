import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { NetlabError } from "../../lib/errors.ts";
import { WorkerPool } from "../../lib/server/pool.ts";
import { rawRequest } from "../http/_raw_http.ts";
import {
  captureLogs,
  DISPATCHES,
  freshClient,
  poolMode,
  startPool,
  text,
  total,
} from "./_helpers.ts";

const WORK = "/_netlab/work";

/** An access-log record of the demo route, as the worker that ran it recorded it. */
interface Run {
  worker: number;
  start: number;
  end: number;
}

function runsOf(records: LogRecord[]): Run[] {
  return records
    .filter((r) => r.category.includes("access") && String(r.properties.path).startsWith(WORK))
    .map((r) => ({
      worker: Number(r.properties.worker),
      start: r.timestamp - Number(r.properties.ms),
      end: r.timestamp,
    }));
}

function overlapOnTwoWorkers(runs: Run[]): boolean {
  return runs.some((a) =>
    runs.some((b) => a.worker !== b.worker && a.start < b.end && b.start < a.end)
  );
}

for (const dispatch of DISPATCHES) {
  Deno.test(`WorkerPool runs CPU-heavy requests on two workers at once (${dispatch})`, async () => {
    await using logs = await captureLogs();
    await using p = await startPool({
      handler: { root: ".", demoRoutes: true },
      ...poolMode(dispatch),
    });
    using client = freshClient();
    // Kernel dispatch hashes each new connection to a worker, so a batch can land on one worker
    // by chance (1 in 8); a few batches make that vanishingly rare.
    for (let batch = 0; batch < 6 && !overlapOnTwoWorkers(runsOf(logs.records)); batch++) {
      const before = runsOf(logs.records).length;
      const answers = await Promise.all(
        [1, 2, 3, 4].map(() => fetch(`${p.base}${WORK}?ms=200`, { client })),
      );
      for (const res of answers) {
        assert.equal(res.status, 200);
        assert.match(res.headers.get("x-netlab-worker") ?? "", /^[12]$/);
        await res.body?.cancel();
      }
      await logs.waitFor((r) => String(r.properties.path ?? "").startsWith(WORK), before + 4);
    }
    assert.ok(overlapOnTwoWorkers(runsOf(logs.records)), JSON.stringify(runsOf(logs.records)));
  });

  Deno.test(`WorkerPool replaces a worker that dies and keeps answering (${dispatch})`, async () => {
    await using logs = await captureLogs();
    await using p = await startPool({
      handler: { root: ".", demoRoutes: true },
      ...poolMode(dispatch),
    });
    using client = freshClient();
    p.pool.crashWorker(1);
    await logs.waitFor((r) => /Worker 1 died/.test(text(r)));
    await logs.waitFor((r) => /Worker 1 replaced and ready/.test(text(r)));
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${p.base}${WORK}?ms=0`, { client });
      assert.equal(res.status, 200);
      seen.add(res.headers.get("x-netlab-worker") ?? "");
      await res.body?.cancel();
    }
    const summary = await p.pool.stop();
    assert.equal(summary.workers[0]?.restarts, 1);
    assert.equal(summary.workers[1]?.restarts, 0);
    if (dispatch === "queue") assert.deepEqual([...seen].sort(), ["1", "2"]);
  });

  Deno.test(`WorkerPool.stop() lets requests in flight finish (${dispatch})`, async () => {
    await using logs = await captureLogs("debug");
    await using p = await startPool({
      handler: { root: ".", demoRoutes: true },
      ...poolMode(dispatch),
      logLevel: "debug",
    });
    using client = freshClient();
    let stopped = false;
    const answers = [1, 2, 3, 4].map(async () => {
      const res = await fetch(`${p.base}${WORK}?ms=300`, { client });
      return { status: res.status, body: await res.json(), afterStop: stopped };
    });
    // Stop as soon as every request has reached a worker's handler; the last ones are mid-burn.
    await logs.waitFor((r) => /started GET/.test(text(r)), 4);
    stopped = true;
    const summary = await p.pool.stop();
    const results = await Promise.all(answers);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.body.ms, 300);
    }
    assert.ok(results.some((r) => r.afterStop), "no request was in flight at stop()");
    assert.equal(total(summary), 4);
  });

  Deno.test(`WorkerPool passes any method to the handler as sent, like serve (${dispatch})`, async () => {
    await using p = await startPool({
      handler: { root: "." },
      ...poolMode(dispatch),
      logLevel: "warning",
    });
    // fetch's Request refuses TRACE and upper-cases "get"; Deno.serve hands both to the handler,
    // which knows TRACE (405) and neither TRACK nor "get" (501: method names are case-sensitive).
    for (const [method, status] of [["TRACE", 405], ["TRACK", 501], ["get", 501]] as const) {
      for (let i = 0; i < 3; i++) {
        const reply = await rawRequest(p.port, { method, path: "/" });
        assert.equal(reply.status, status, `${method} #${i}`);
        assert.equal(reply.headers.get("allow"), status === 405 ? "GET, HEAD" : null);
      }
    }
    const summary = await p.pool.stop();
    assert.deepEqual(summary.workers.map((w) => w.restarts), [0, 0]);
  });

  Deno.test(`WorkerPool.start() fails when the port is taken (${dispatch})`, async () => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const pool = new WorkerPool({
      handler: { root: "." },
      workers: 2,
      ...poolMode(dispatch),
      port: (taken.addr as Deno.NetAddr).port,
    });
    await assert.rejects(pool.start(), (err: unknown) => {
      assert.ok(err instanceof NetlabError);
      assert.match(err.message, /^Cannot listen on 127\.0\.0\.1:\d+: address already in use$/);
      return true;
    });
  });
}

Deno.test("WorkerPool.start() gives up on workers slower than readyTimeoutMs", async () => {
  const pool = new WorkerPool({ handler: { root: "." }, workers: 2, port: 0, readyTimeoutMs: 1 });
  await assert.rejects(pool.start(), /^NetlabError: Worker \d did not start within 1 ms$/);
});

for (const dispatch of DISPATCHES) {
  Deno.test(`WorkerPool.stop() during start() ends both at once (${dispatch})`, async () => {
    const pool = new WorkerPool({
      handler: { root: "." },
      workers: 2,
      ...poolMode(dispatch),
      port: 0,
      drainTimeoutMs: 60_000,
    });
    // start()'s clean-up drained the workers a second time while stop() drained them, which left
    // stop() waiting out the whole drain timeout; and start() could still report the pool ready.
    const starting = pool.start().then(() => "started", (err: unknown) => err);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // the bug waits out the 60 s drain; a busy machine's stop is far quicker than 40 s
    const hung = new Promise<"hung">((resolve) => (timer = setTimeout(resolve, 40_000, "hung")));
    try {
      assert.notEqual(await Promise.race([pool.stop(), hung]), "hung");
    } finally {
      clearTimeout(timer);
    }
    const err = await starting;
    assert.ok(err instanceof NetlabError, String(err));
    assert.equal(err.message, "Worker pool stopped while starting");
  });
}

Deno.test("WorkerPool ends with an error after a crash loop", async () => {
  await using logs = await captureLogs();
  await using p = await startPool({
    handler: { root: "." },
    dispatch: "queue",
    crashLimit: 3,
    crashWindowMs: 60_000,
  });
  for (let i = 1; i <= 2; i++) {
    p.pool.crashWorker(1);
    await logs.waitFor((r) => /Worker 1 replaced and ready/.test(text(r)), i);
  }
  p.pool.crashWorker(1);
  await assert.rejects(p.pool.finished, (err: unknown) => {
    assert.ok(err instanceof NetlabError);
    assert.match(err.message, /^Worker pool stopped: workers died 3 times within 60 s/);
    return true;
  });
});

Deno.test("new WorkerPool() rejects worker counts outside 1 to 256", () => {
  for (const workers of [0, 257, 1.5]) {
    assert.throws(() => new WorkerPool({ handler: { root: "." }, workers }), RangeError);
  }
});

const HUGE_BYTES = 32 * 1024 * 1024;

/** A root holding `huge.bin`, larger than every buffer between a worker and a client. */
async function hugeRoot(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-pool-" });
  await Deno.writeFile(`${root}/huge.bin`, new Uint8Array(HUGE_BYTES));
  return { root, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

/** Sends `GET /huge.bin` and waits for the first bytes of the answer. */
async function startHugeDownload(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("GET /huge.bin HTTP/1.1\r\nhost: x\r\n\r\n"));
  assert.ok((await conn.read(new Uint8Array(1024))) !== null);
  return conn;
}

/** Reads until the server closes or resets the connection; fails instead of hanging. */
async function readUntilCut(conn: Deno.TcpConn): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("The body never ended")), 10_000);
  });
  const read = async () => {
    const buf = new Uint8Array(64 * 1024);
    let total = 0;
    try {
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) total += n;
    } catch (err) {
      if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
    }
    return total;
  };
  try {
    return await Promise.race([read(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

for (const dispatch of DISPATCHES) {
  Deno.test(`WorkerPool.stop() gives up on a client that stops reading (${dispatch})`, async () => {
    await using huge = await hugeRoot();
    await using p = await startPool({ handler: huge, ...poolMode(dispatch), drainTimeoutMs: 300 });
    using _conn = await startHugeDownload(p.port); // the answer has started; now never read again
    const summary = await p.pool.stop();
    assert.equal(summary.workers.length, 2);
  });

  Deno.test(`WorkerPool cuts a streamed body when its worker dies (${dispatch})`, async () => {
    await using huge = await hugeRoot();
    await using logs = await captureLogs();
    await using p = await startPool({ handler: huge, ...poolMode(dispatch), workers: 1 });
    using conn = await startHugeDownload(p.port);
    // Let the buffers fill, so that no chunk is on its way when the worker dies (the case that
    // hung): on a slow machine this only makes the test less sharp, never wrong.
    await new Promise((resolve) => setTimeout(resolve, 300));
    p.pool.crashWorker(1);
    await logs.waitFor((r) => /Worker 1 died/.test(text(r)));
    assert.ok((await readUntilCut(conn)) < HUGE_BYTES);
  });
}

for (const dispatch of DISPATCHES) {
  Deno.test(`WorkerPool answers an upload with 405 before reading its body (${dispatch})`, async () => {
    await using logs = await captureLogs();
    await using p = await startPool({ handler: { root: "." }, ...poolMode(dispatch), workers: 1 });
    {
      // 300 MiB announced, 1 KiB sent, then no more: a server that waits for the body to end
      // before answering reads EOF instead and can only fail the request
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      const head = "PUT /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 314572800\r\n\r\n";
      await conn.write(new TextEncoder().encode(head + "x".repeat(1024)));
      await conn.closeWrite();
      const reply = new TextDecoder().decode(await readAll(conn));
      assert.match(reply, /^HTTP\/1\.1 405 /);
      assert.match(reply, /\r\nallow: GET, HEAD\r\n/i);
    }
    await p.pool.stop();
    assert.deepEqual(logs.records.filter((r) => r.level === "error").map(text), []);
  });

  Deno.test(`WorkerPool takes a client that leaves mid-upload quietly (${dispatch})`, async () => {
    await using logs = await captureLogs();
    await using p = await startPool({ handler: { root: "." }, ...poolMode(dispatch), workers: 1 });
    {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      const head = "PUT /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n" +
        "expect: 100-continue\r\n\r\n";
      await conn.write(new TextEncoder().encode(head + "only the first bytes"));
      await conn.closeWrite();
      // Deno.serve may say "100 Continue" first; the answer is the 405 all the same
      const reply = new TextDecoder().decode(await readAll(conn));
      assert.match(reply, /^(HTTP\/1\.1 100 Continue\r\n\r\n)?HTTP\/1\.1 405 /);
    }
    await p.pool.stop();
    assert.deepEqual(logs.records.filter((r) => r.level === "error").map(text), []);
  });
}

/** Reads until the server closes the connection (a reset after the answer counts as closed). */
async function readAll(conn: Deno.TcpConn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      parts.push(buf.slice(0, n));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
