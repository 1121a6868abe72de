import assert from "node:assert/strict";
import { BackendConnectError } from "../../lib/balancer/_connect.ts";
import type { EpollConn } from "../../lib/balancer/transport/_epoll_conn.ts";
import { errnoError } from "../../lib/balancer/transport/_errno.ts";
import { EpollTransport } from "../../lib/balancer/transport/epoll.ts";
import { selectTransport } from "../../lib/balancer/transport/select.ts";
import { HAS_IPV6 } from "../_ipv6.ts";
import { needs } from "../_tools.ts";
import { delay, echoBackend, readAll, startOn, writeAll } from "./_helpers.ts";

const linux = Deno.build.os === "linux";

/** An epoll engine that is closed (and checked idle) when the test ends. */
function engine(): EpollTransport & AsyncDisposable {
  const t = new EpollTransport();
  return Object.assign(t, { [Symbol.asyncDispose]: () => t.close() });
}

Deno.test({
  name: "EpollTransport: a write to a peer that does not read waits (EAGAIN), then completes",
  ignore: !linux,
  async fn() {
    await using t = engine();
    const listener = t.listen("127.0.0.1", 0);
    using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const conn = await listener.accept();
    listener.close();
    const big = new Uint8Array(32 * 1024 * 1024).fill(7);
    let sent = 0;
    const writing = (async () => {
      while (sent < big.length) sent += await conn.write(big.subarray(sent));
    })();
    await delay(100);
    const stalled = sent;
    assert.ok(stalled < big.length, "the socket buffers cannot hold 32 MiB");
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    while (got < big.length) got += (await peer.read(buf)) ?? 0;
    await writing;
    assert.equal(sent, big.length);
    conn.close();
  },
});

Deno.test({
  name: "EpollTransport: connect() keeps an outcome that arrives before it waits for one",
  ignore: !linux,
  async fn() {
    const fixture = new URL("./_epoll_first_timer.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", fixture],
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
  },
});

Deno.test({
  name:
    "EpollTransport: connect to a closed port (IPv4, IPv6) rejects with BackendConnectError and leaks no fd (Linux, IPv6 loopback)",
  ignore: !linux || !HAS_IPV6,
  async fn() {
    await using t = engine();
    for (const host of ["127.0.0.1", "::1"]) {
      let port: number;
      {
        using l = Deno.listen({ hostname: host, port: 0 });
        port = l.addr.port;
      }
      await assert.rejects(t.connect(host, port, 1000), (err: Error) => {
        assert.ok(err instanceof BackendConnectError);
        assert.equal(err.message, "connection refused");
        return true;
      });
      assert.equal(t.openSockets, 0);
    }
  },
});

// a listener whose accept queue is full drops SYNs, so a connect hangs until its timeout
const [timeoutName, timeoutOptions] = needs(
  ["python3"],
  "EpollTransport: connect gives up after its timeout and leaks no fd",
);
Deno.test({
  name: timeoutName,
  ignore: timeoutOptions.ignore || !linux,
  async fn() {
    const script = `
import socket, sys, time
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
    }).spawn();
    await using _py = {
      async [Symbol.asyncDispose]() {
        await py.stdin.close();
        await py.output();
      },
    };
    const reader = py.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    const port = Number(new TextDecoder().decode(value).trim());
    await using t = engine();
    await assert.rejects(t.connect("127.0.0.1", port, 200), (err: Error) => {
      assert.ok(err instanceof BackendConnectError);
      assert.equal(err.message, "connect timed out after 200 ms");
      return true;
    });
    assert.equal(t.openSockets, 0);
  },
});

for (const engineName of ["epoll", "deno"] as const) {
  Deno.test({
    name:
      `Balancer proxies over IPv6 and logs [::1] addresses (${engineName}; needs IPv6 loopback)`,
    ignore: (engineName === "epoll" && !linux) || !HAS_IPV6,
    async fn() {
      using l6 = Deno.listen({ hostname: "::1", port: 0 });
      const backend = l6.accept().then(async (conn) => {
        await writeAll(conn, await readAll(conn));
        conn.close();
      });
      await using lb = await startOn(engineName, {
        host: "::1",
        backends: [{ host: "::1", port: l6.addr.port, weight: 1 }],
        port: 0,
        healthIntervalMs: 0,
      });
      assert.equal(lb.addr.hostname, "::1");
      using conn = await Deno.connect({ hostname: "::1", port: lb.addr.port });
      await writeAll(conn, new TextEncoder().encode("over six"));
      await conn.closeWrite();
      assert.equal(new TextDecoder().decode(await readAll(conn)), "over six");
      await backend;
    },
  });
}

Deno.test("selectTransport() keeps deno when asked, and for host names, saying why", async () => {
  const deno = selectTransport("deno", ["127.0.0.1"]);
  assert.equal(deno.transport.name, "deno");
  assert.equal(deno.notice, undefined);
  const named = selectTransport("epoll", ["127.0.0.1", "localhost"]);
  assert.equal(named.transport.name, "deno");
  if (linux) {
    assert.equal(named.notice, 'the epoll engine needs IP addresses, not "localhost": using deno');
  }
  const auto = selectTransport("auto", ["localhost"]);
  assert.equal(auto.transport.name, "deno");
  assert.equal(auto.notice, undefined);
  for (const s of [deno, named, auto]) await s.transport.close();
});

Deno.test({
  name: "selectTransport() picks epoll on Linux for IP literals, v4 and v6",
  ignore: !linux,
  async fn() {
    const s = selectTransport("auto", ["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
    assert.equal(s.transport.name, "epoll");
    await s.transport.close();
  },
});

Deno.test({
  name: "EpollTransport.close() resolves once its last socket is closed, nothing left pending",
  ignore: !linux,
  async fn() {
    await using backend = echoBackend();
    const t = new EpollTransport();
    const conn = await t.connect("127.0.0.1", backend.port, 1000);
    await writeAll(conn, new TextEncoder().encode("x"));
    const buf = new Uint8Array(1);
    assert.equal(await conn.read(buf), 1);
    assert.equal(t.openSockets, 1);
    conn.close();
    assert.equal(t.openSockets, 0);
    await t.close(); // the test's op sanitizer fails it if the epoll wait were still pending
  },
});

Deno.test({
  name: "EpollTransport: the sockets it accepts (inherited) and connects (set) have TCP_NODELAY",
  ignore: !linux,
  async fn() {
    await using t = engine();
    const listener = t.listen("127.0.0.1", 0);
    const [out, accepted] = await Promise.all([
      t.connect("127.0.0.1", listener.addr.port, 1000),
      listener.accept(),
    ]);
    listener.close();
    out.setNoDelay(true);
    const lib = Deno.dlopen("libc.so.6", {
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    });
    try {
      for (const conn of [out, accepted]) {
        const value = new Int32Array(1);
        const len = new Uint32Array([4]);
        const fd = (conn as EpollConn).fd;
        assert.equal(lib.symbols.getsockopt(fd, 6, 1, value, len), 0); // IPPROTO_TCP, TCP_NODELAY
        assert.equal(value[0], 1);
      }
    } finally {
      lib.close();
      out.close();
      accepted.close();
    }
  },
});

Deno.test("errnoError() gives the class and message Deno.net gives for the same errno", async () => {
  const port = (() => {
    using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return l.addr.port;
  })();
  const refused = await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (c) => (c.close(), undefined),
    (err: Error) => err,
  );
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let inUse: Error | undefined;
  try {
    Deno.listen({ hostname: "127.0.0.1", port: busy.addr.port }).close();
  } catch (err) {
    inUse = err as Error;
  }
  for (const [errno, deno] of [[111, refused], [98, inUse]] as const) {
    assert.ok(deno, `no Deno error for errno ${errno}`);
    const ours = errnoError(errno, "call");
    assert.equal(ours.constructor, deno.constructor);
    assert.equal(ours.message, deno.message);
  }
  // what an accept out of descriptors logs: the reason, not only the call and its number
  assert.equal(errnoError(24, "accept4").message, "Too many open files (os error 24)");
});

Deno.test({
  name:
    "EpollTransport keeps serving after its last socket closed, also when the next opens at once",
  ignore: !linux,
  async fn() {
    await using backend = echoBackend();
    await using t = engine();
    const buf = new Uint8Array(1);
    for (let round = 0; round < 4; round++) {
      const first = await t.connect("127.0.0.1", backend.port, 2000);
      await writeAll(first, new Uint8Array([round]));
      assert.equal(await first.read(buf), 1);
      await delay(10); // idle: the poller waits on a worker thread now
      first.close(); // the last socket: the poller's loop ends...
      const next = await t.connect("127.0.0.1", backend.port, 2000); // ...or carries on
      const reading = next.read(buf);
      await writeAll(next, new Uint8Array([round]));
      assert.equal(await reading, 1);
      assert.equal(buf[0], round);
      next.close();
      assert.equal(t.openSockets, 0);
    }
  },
});

Deno.test({
  name: "EpollTransport: close() settles a pending read, write and accept with BadResource",
  ignore: !linux,
  async fn() {
    await using t = engine();
    const listener = t.listen("127.0.0.1", 0);
    using _peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const conn = await listener.accept();
    const reading = conn.read(new Uint8Array(16)); // the peer sends nothing
    const writing = (async () => {
      const big = new Uint8Array(1 << 20); // the peer reads nothing: this write soon waits
      while (true) await conn.write(big);
    })();
    await delay(50);
    conn.close();
    await assert.rejects(reading, Deno.errors.BadResource);
    await assert.rejects(writing, Deno.errors.BadResource);
    const accepting = listener.accept();
    listener.close();
    await assert.rejects(accepting, Deno.errors.BadResource);
    assert.equal(t.openSockets, 0);
  },
});
