import assert from "node:assert/strict";
import type { Balancer } from "../../lib/balancer/balancer.ts";
import { collectLogs, delay, engineTest, startOn, TestBackend, writeAll } from "./_helpers.ts";
import { RawClient, RawListener } from "./_raw.ts";

// a reset needs SO_LINGER 0, which only the raw libc sockets of _raw.ts can set (Linux)
const linux = Deno.build.os === "linux";
/** Ignored elsewhere, as their names say. */
const LINUX_ONLY = { ignore: !linux };
const RESET = "Connection reset by peer (os error 104)";
const PIPE = "Broken pipe (os error 32)";

/** Waits (bounded) until `ok()` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (ok()) return;
    await delay(10);
  }
  assert.fail(what);
}

/** The one end line the balancer logged, once it holds no connection. */
async function endLine(lb: Balancer, logs: { lines: string[] }): Promise<string> {
  await until(() => lb.stats().active === 0, "the balancer still holds the connection");
  const ends = logs.lines.filter((l) => l.includes(" ended ("));
  assert.equal(ends.length, 1, logs.lines.join("\n"));
  return ends[0]!;
}

/** Reads until EOF or a reset: what came, and whether it ended with a reset. */
async function readToEnd(conn: Deno.Conn): Promise<{ data: Uint8Array; reset: boolean }> {
  const chunks: number[] = [];
  const buf = new Uint8Array(4096);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) chunks.push(...buf.subarray(0, n));
  } catch (err) {
    if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
    return { data: new Uint8Array(chunks), reset: true };
  }
  return { data: new Uint8Array(chunks), reset: false };
}

/** A backend that runs `serve`, then says (in `done`) that its side is closed. */
function watchedBackend(serve: (conn: Deno.TcpConn) => Promise<void>) {
  const state = { done: false };
  const backend = new TestBackend("b", (conn) => serve(conn).finally(() => state.done = true));
  return { backend: backend.start(), state };
}

engineTest(
  "Balancer logs a client's reset while idle as Deno.net words it (Linux: SO_LINGER)",
  async (engine) => {
    await using logs = await collectLogs();
    const { backend, state } = watchedBackend(async (conn) => {
      const buf = new Uint8Array(1024);
      for (let n; (n = await conn.read(buf)) !== null;) await writeAll(conn, buf.subarray(0, n));
    });
    await using _backend = backend;
    await using lb = await startOn(engine, {
      port: 0,
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      healthIntervalMs: 0,
    });
    using client = RawClient.connect("127.0.0.1", lb.addr.port);
    client.send(new TextEncoder().encode("hello"));
    const buf = new Uint8Array(16);
    let n = 0;
    await until(() => (n = client.recvNow(buf)) > 0, "no echo came back");
    assert.equal(n, 5);
    client.reset();
    const line = await endLine(lb, logs);
    assert.ok(line.includes(`ended (client error: ${RESET})`), line);
    await until(() => state.done, "the backend's side stayed open");
  },
  LINUX_ONLY,
);

engineTest(
  "Balancer ends a connection whose client resets while it waits to write to it (Linux: SO_LINGER)",
  async (engine) => {
    await using logs = await collectLogs();
    const { backend, state } = watchedBackend(async (conn) => {
      const chunk = new Uint8Array(64 * 1024).fill(1);
      while (true) await writeAll(conn, chunk); // until the balancer closes this side
    });
    await using _backend = backend;
    await using lb = await startOn(engine, {
      port: 0,
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      healthIntervalMs: 0,
    });
    // a client that never reads, with a small window: the balancer's writes soon wait (EAGAIN)
    using client = RawClient.connect("127.0.0.1", lb.addr.port, 4096);
    let last = -1;
    await until(() => {
      const down = lb.stats().bytesDown;
      const stalled = down > 0 && down === last;
      last = down;
      return stalled;
    }, "the balancer's writes to the client never stalled");
    client.reset();
    const line = await endLine(lb, logs);
    assert.ok(
      line.includes(`ended (client error: ${RESET})`) ||
        line.includes(`ended (client error: ${PIPE})`),
      line,
    );
    await until(() => state.done, "the backend's side stayed open");
  },
  LINUX_ONLY,
);

engineTest(
  "Balancer forwards what a backend sent before its reset and logs it as Deno.net words it (Linux: SO_LINGER)",
  async (engine) => {
    await using logs = await collectLogs();
    using raw = new RawListener();
    await using lb = await startOn(engine, {
      port: 0,
      backends: [{ host: "127.0.0.1", port: raw.port, weight: 1 }],
      healthIntervalMs: 0,
    });
    using client = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    await writeAll(client, new TextEncoder().encode("GET"));
    using b = await raw.accept();
    b.send(new TextEncoder().encode("partial"));
    await until(() => lb.stats().bytesDown === 7, "the backend's bytes were not forwarded");
    b.reset();
    const { data, reset } = await readToEnd(client);
    assert.equal(new TextDecoder().decode(data), "partial");
    // the epoll engine passes the reset on; Deno.net cannot reset a socket (no SO_LINGER)
    assert.equal(reset, engine === "epoll");
    const line = await endLine(lb, logs);
    assert.ok(line.includes(`ended (backend error: ${RESET})`), line);
  },
  LINUX_ONLY,
);
