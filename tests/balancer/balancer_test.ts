import assert from "node:assert/strict";
import { Balancer, ListenFailedError } from "../../lib/balancer/balancer.ts";
import {
  ask,
  collectLogs,
  delay,
  ENGINES,
  engineTest,
  nameBackend,
  startOn,
  TestBackend,
} from "./_helpers.ts";
import { needs } from "../_tools.ts";

const spec = (b: TestBackend, weight = 1) => ({ host: "127.0.0.1", port: b.port, weight });

engineTest(
  "Balancer sends each new connection to the next of four backends, in order",
  async (engine) => {
    await using a = nameBackend("a");
    await using b = nameBackend("b");
    await using c = nameBackend("c");
    await using d = nameBackend("d");
    await using lb = await startOn(engine, {
      backends: [a, b, c, d].map((x) => spec(x)),
      port: 0,
      healthIntervalMs: 0,
    });
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) seen.push(await ask(lb.addr.port));
    assert.deepEqual(seen.join(""), "abcdabcdabcd");
  },
);

engineTest("Balancer logs one line per connection and one when it ends", async (engine) => {
  await using logs = await collectLogs();
  await using a = nameBackend("hello");
  await using lb = await startOn(engine, { backends: [spec(a)], port: 0, healthIntervalMs: 0 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
  const local = `127.0.0.1:${conn.localAddr.port}`;
  const buf = new Uint8Array(16);
  while (await conn.read(buf) !== null) { /* until the backend closes */ }
  conn.close(); // the client's direction stays open (half-close) until it closes too
  for (let i = 0; i < 50 && !logs.lines.some((l) => l.includes("ended")); i++) await delay(10);
  assert.match(
    logs.lines[0]!,
    new RegExp(
      `^listening on 127\\.0\\.0\\.1:${lb.addr.port} \\(round-robin, 1 backend, ${engine} engine\\)$`,
    ),
  );
  assert.ok(logs.lines.includes(`connection from ${local} forwarded to 127.0.0.1:${a.port}`));
  const end = logs.lines.find((l) => l.includes("ended"));
  assert.match(
    end!,
    new RegExp(
      `^connection from ${local} to 127\\.0\\.0\\.1:${a.port} ended \\(backend closed\\): ` +
        `0 bytes up, 5 bytes down, [\\d.]+ ms$`,
    ),
  );
});

engineTest(
  "Balancer retries the next backend when one refuses, and marks it down after --fall refusals in a row",
  async (engine) => {
    await using a = nameBackend("a");
    const dead = nameBackend("dead");
    await dead.stop(); // its port is now closed
    await using b = nameBackend("b");
    await using lb = await startOn(engine, {
      backends: [spec(a), spec(dead), spec(b)],
      port: 0,
      healthIntervalMs: 60_000, // on, so failures mark down; too slow to interfere
    });
    const seen: string[] = [];
    const refused = () => lb.stats().backends[1]!.failures;
    // up through two refusals in a row, down at the third (healthFall's default)
    while (lb.stats().backends[1]!.state === "up" && seen.length < 30) {
      assert.ok(refused() < 3, `${refused()} refusals and still up`);
      seen.push(await ask(lb.addr.port));
    }
    // every client is served; each refused attempt went on to the next backend
    assert.ok(seen.every((x) => x === "a" || x === "b"), seen.join());
    const stats = lb.stats();
    assert.equal(stats.backends[1]!.state, "down");
    assert.equal(stats.backends[1]!.failures, 3);
    assert.equal(stats.unserved, 0);
  },
);

engineTest("Balancer closes the client at once when every backend is down", async (engine) => {
  await using logs = await collectLogs();
  const dead = [nameBackend("x"), nameBackend("y")];
  for (const d of dead) await d.stop();
  await using lb = await startOn(engine, {
    backends: dead.map((d) => spec(d)),
    port: 0,
    healthIntervalMs: 60_000,
  });
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    assert.equal(await ask(lb.addr.port, "hello?\n").catch(() => ""), "");
    // no timing assertion (shared machine); a hang would hit the test timeout instead
    assert.ok(performance.now() - started >= 0);
  }
  assert.equal(lb.stats().unserved, 3);
  assert.ok(logs.lines.some((l) => l.startsWith("no backend for connection from 127.0.0.1:")));
});

for (const max of [1, 2]) {
  engineTest(
    `Balancer closes connections beyond maxConns (${max}) at once, counts them and says so once`,
    async (engine) => {
      await using logs = await collectLogs();
      const hold = Promise.withResolvers<void>();
      await using slow = new TestBackend("slow", () => hold.promise).start();
      await using lb = await startOn(engine, {
        backends: [spec(slow)],
        port: 0,
        maxConns: max,
        healthIntervalMs: 0,
      });
      const held = await Promise.all(
        Array.from(
          { length: max },
          () => Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port }),
        ),
      );
      while (lb.stats().active < max) await delay(5);
      assert.equal(await ask(lb.addr.port), "");
      assert.equal(await ask(lb.addr.port), "");
      assert.equal(lb.stats().rejected, 2);
      assert.deepEqual(logs.lines.filter((l) => l.includes("max-conns")), [
        max === 1
          ? "1 connection open (max-conns): closing new ones until one ends"
          : "2 connections open (max-conns): closing new ones until one ends",
      ]);
      hold.resolve();
      for (const c of held) c.close();
    },
  );
}

engineTest(
  "Balancer.stop() lets open connections finish, then closes the rest after the drain timeout",
  async (engine) => {
    const release = Promise.withResolvers<void>();
    await using slow = new TestBackend("slow", async (conn) => {
      await release.promise;
      await conn.write(new TextEncoder().encode("done"));
    }).start();
    await using logs = await collectLogs();
    const lb = new Balancer({ engine, backends: [spec(slow)], port: 0, healthIntervalMs: 0 });
    await lb.start();
    const answer = ask(lb.addr.port);
    while (lb.stats().active < 1) await delay(5);
    // a drain far longer than the test: the connection must finish by its own end, not the timer
    const stopping = lb.stop(600_000);
    // the drain is announced once the listener is closed: no new connection from then on
    for (let i = 0; !logs.lines.some((l) => l.includes("draining 1 open connection")); i++) {
      assert.ok(i < 6000, `no drain announced: ${logs.lines.join("\n")}`);
      await delay(5);
    }
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port }));
    release.resolve();
    assert.equal(await answer, "done", "the open connection finished during the drain");
    await stopping;

    // a connection that outlives the drain timeout is closed
    const never = Promise.withResolvers<void>();
    await using stuck = new TestBackend("stuck", () => never.promise).start();
    const lb2 = await startOn(engine, { backends: [spec(stuck)], port: 0, healthIntervalMs: 0 });
    const cut = ask(lb2.addr.port);
    while (lb2.stats().active < 1) await delay(5);
    await lb2.stop(100);
    assert.equal(await cut, "");
    never.resolve();
  },
);

engineTest("Balancer serves /stats and /metrics on statsPort", async (engine) => {
  await using a = nameBackend("abc");
  await using lb = await startOn(engine, {
    backends: [spec(a)],
    port: 0,
    statsPort: 0,
    healthIntervalMs: 0,
  });
  assert.equal(await ask(lb.addr.port), "abc");
  const base = `http://127.0.0.1:${lb.statsAddr!.port}`;
  const stats = await (await fetch(`${base}/stats`)).json();
  assert.equal(stats.total, 1);
  assert.equal(stats.backends[0].address, `127.0.0.1:${a.port}`);
  assert.equal(stats.backends[0].bytesDown, 3);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`netlab_backend_connections_total\\{backend="127.0.0.1:${a.port}"\\} 1`),
  );
});

engineTest(
  "Balancer.start() rejects, rather than throws, when it cannot listen",
  async (engine) => {
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const lb = new Balancer({
      engine,
      backends: [{ host: "127.0.0.1", port: 9, weight: 1 }],
      port: busy.addr.port,
      healthIntervalMs: 0,
    });
    let started: Promise<Deno.NetAddr> | undefined;
    assert.doesNotThrow(() => started = lb.start());
    await assert.rejects(started!, ListenFailedError);
    await lb.stop();
  },
);

// in a process of its own: in the test runner, other modules open and close descriptors meanwhile
for (const engine of ENGINES) {
  Deno.test({
    name:
      `startBalancer() that cannot listen (port or stats port busy) leaves no descriptor open (${engine})`,
    ignore: Deno.build.os !== "linux", // counts /proc/self/fd
    async fn() {
      const probe = new URL("./_listen_fail_fds.ts", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--unstable-net", probe, engine],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      assert.ok(out.success, dec.decode(out.stderr));
      const { before, after } = JSON.parse(dec.decode(out.stdout));
      assert.ok(before > 0, `${before}`);
      assert.equal(after, before);
    },
  });
}

// Deno cannot send a bare RST (SO_LINGER 0); python3 can
for (const engine of ENGINES) {
  Deno.test(
    ...needs(
      ["python3"],
      `Balancer takes a client that resets before it is accepted in its stride: no error, no pause (${engine})`,
    ),
    async () => {
      await using logs = await collectLogs();
      await using a = nameBackend("a");
      await using lb = await startOn(engine, { backends: [spec(a)], port: 0, healthIntervalMs: 0 });
      const script = `
import socket, struct
for _ in range(5):
  s = socket.socket()
  s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
  s.connect(("127.0.0.1", ${lb.addr.port}))
  s.close()
`;
      const py = await new Deno.Command("python3", { args: ["-c", script] }).output();
      assert.ok(py.success, new TextDecoder().decode(py.stderr));
      assert.equal(await ask(lb.addr.port), "a");
      assert.deepEqual(logs.lines.filter((l) => l.includes("accept failed")), []);
    },
  );
}
