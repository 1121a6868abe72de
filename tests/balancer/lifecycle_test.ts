import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { Balancer } from "../../lib/balancer/balancer.ts";
import { OverloadLog } from "../../lib/balancer/engines/_overload.ts";
import { withDefaults } from "../../lib/balancer/options.ts";
import { RawClient } from "./_raw.ts";
import type { EngineName } from "../../lib/balancer/engines/frontend.ts";
import {
  collectLogs,
  delay,
  ENGINES,
  engineTest,
  nameBackend,
  readAll,
  startOn,
  TestBackend,
  writeAll,
} from "./_helpers.ts";

const linux = Deno.build.os === "linux";

/** One test per engine that runs on Linux only (raw sockets, python3): ignored elsewhere. */
function linuxEngineTest(name: string, fn: (engine: EngineName) => Promise<void>): void {
  for (const engine of ENGINES) {
    Deno.test({ name: `${name} (${engine}; Linux)`, ignore: !linux, fn: () => fn(engine) });
  }
}

/** Waits (bounded) until `ok()` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (ok()) return;
    await delay(10);
  }
  assert.fail(what);
}

engineTest("Balancer.start() after stop() rejects and leaves nothing listening", async (engine) => {
  await using a = nameBackend("a");
  const lb = new Balancer({
    engine,
    backends: [{ host: "127.0.0.1", port: a.port, weight: 1 }],
    port: 0,
    healthIntervalMs: 0,
  });
  const { port } = await lb.start();
  await lb.stop();
  await assert.rejects(lb.start(), /has been stopped/);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
});

linuxEngineTest(
  "Balancer.stop() does not wait for a connect in progress (its timeout is an hour)",
  async (engine) => {
    // a listener whose accept queue is full drops SYNs, so a connect to it hangs
    const script = `
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
fill = []
for _ in range(8):
  c = socket.socket(); c.setblocking(False)
  try: c.connect(s.getsockname())
  except BlockingIOError: pass
  fill.append(c)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;
    const py = new Deno.Command("python3", {
      args: ["-c", script],
      stdin: "piped",
      stdout: "piped",
    })
      .spawn();
    await using _py = {
      async [Symbol.asyncDispose]() {
        await py.stdin.close();
        await py.output();
      },
    };
    const reader = py.stdout.getReader();
    const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
    reader.releaseLock();
    const lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
      connectTimeoutMs: 3_600_000,
    });
    using client = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    await until(() => lb.backends[0]!.active === 1, "the connect never started");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      lb.stop(0).then(() => "stopped"),
      new Promise((r) => timer = setTimeout(() => r("still connecting"), 20_000)),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "stopped");
    assert.equal(lb.backends[0]!.active, 0);
    assert.equal(await client.read(new Uint8Array(8)), null, "the client was closed");
  },
);

linuxEngineTest(
  "Balancer keeps a slow but steady reader: write progress counts as activity, not idle",
  async (engine) => {
    const total = 256 * 1024;
    const done = Promise.withResolvers<void>();
    await using backend = new TestBackend("stream", async (conn) => {
      await writeAll(conn, new Uint8Array(total).fill(7));
      await done.promise; // then silent: only the client's reading moves
    }).start();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
      idleTimeoutMs: 1000,
      // big reads: the balancer holds most of the stream itself and has nothing left to read
      // while it writes it out, for far longer than the idle timeout
      bufferSize: 256 * 1024,
    });
    // a small window read a little at a time (about 100 KB/s, 2.6 s for it all), with no pause
    // anywhere near the idle timeout (a 40 ms pause would have to last 25 times longer on a busy
    // machine); a connection cut as idle would lose what it still held
    using client = RawClient.connect("127.0.0.1", lb.addr.port, 4096);
    const buf = new Uint8Array(4 * 1024);
    let got = 0;
    while (got < total) {
      const n = client.recvNow(buf);
      if (n === 0) break; // closed on us
      if (n > 0) got += n;
      await delay(40);
    }
    done.resolve();
    assert.equal(got, total);
  },
);

engineTest(
  "Balancer logs a client that half-closes, reads everything and goes as 'client closed'",
  async (engine) => {
    await using logs = await collectLogs();
    const clientGone = Promise.withResolvers<void>();
    await using backend = new TestBackend("download", async (conn) => {
      await readAll(conn); // the request, up to the client's FIN
      await writeAll(conn, new TextEncoder().encode("body"));
      await clientGone.promise;
      // more bytes (a TLS close_notify, say) to a client that has gone: until we are cut off
      for (let i = 0; i < 200; i++) {
        await writeAll(conn, new Uint8Array(100));
        await delay(5);
      }
    }).start();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    await writeAll(conn, new TextEncoder().encode("GET"));
    await conn.closeWrite();
    const buf = new Uint8Array(4);
    let got = 0;
    while (got < 4) got += (await conn.read(buf.subarray(got))) ?? 4;
    conn.close();
    clientGone.resolve();
    await until(() => logs.lines.some((l) => l.includes(" ended (")), "the connection never ended");
    const line = logs.lines.find((l) => l.includes(" ended ("))!;
    assert.match(line, /ended \(client closed\)/);
  },
);

engineTest("Balancer's /stats and /metrics name the engine", async (engine) => {
  await using a = nameBackend("a");
  await using lb = await startOn(engine, {
    backends: [{ host: "127.0.0.1", port: a.port, weight: 1 }],
    port: 0,
    statsPort: 0,
    healthIntervalMs: 0,
  });
  const base = `http://127.0.0.1:${lb.statsAddr!.port}`;
  assert.equal((await (await fetch(`${base}/stats`)).json()).engine, engine);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`netlab_balancer_info\\{engine="${engine}",strategy="round-robin"\\} 1`),
  );
  const head = await fetch(`${base}/stats`, { method: "HEAD" });
  assert.equal(head.status, 200);
  await head.body?.cancel();
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});

Deno.test("withDefaults() sets no fin timeout: the idle timeout governs half-closed connections", () => {
  assert.equal(withDefaults({}).finTimeoutMs, 0);
});

Deno.test("Balancer refuses a duration over 2^31-1 ms, which a timer would turn into 1 ms", () => {
  const backends = [{ host: "127.0.0.1", port: 9, weight: 1 }];
  assert.throws(
    () => new Balancer({ backends, healthIntervalMs: 2 ** 31 }),
    (err: Error) => err instanceof RangeError && /health interval/.test(err.message),
  );
  assert.throws(() => new Balancer({ backends, idleTimeoutMs: 2 ** 31 }), RangeError);
});

Deno.test("OverloadLog says a repeated failure once a second at most, with a count", async () => {
  await using logs = await collectLogs("warning");
  const o = new OverloadLog(getLogger(["netlab", "balance"]));
  for (let i = 0; i < 100; i++) o.note("accept failed: Too many open files (os error 24)");
  assert.deepEqual(logs.lines, [
    "accept failed: Too many open files (os error 24) (1 time since the last line)",
  ]);
  await until(() => logs.lines.length === 2, "the rest was never said");
  assert.equal(
    logs.lines[1],
    "accept failed: Too many open files (os error 24) (99 times since the last line)",
  );
  o.close();
  assert.equal(logs.lines.length, 2);
});
