import assert from "node:assert/strict";
import { proxy } from "../../lib/balancer/proxy.ts";
import {
  delay,
  echoBackend,
  engineTest,
  readAll,
  startOn,
  TestBackend,
  writeAll,
} from "./_helpers.ts";

const MiB = 1024 * 1024;

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, off + 65536));
  return out;
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sends `data`, closes the write side, and reads the echo back, optionally slowly. */
async function roundTrip(port: number, data: Uint8Array, slow: boolean): Promise<Uint8Array> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const sending = writeAll(conn, data).then(() => conn.closeWrite());
  const received = new Uint8Array(data.length + 1);
  let got = 0;
  const buf = new Uint8Array(slow ? 32 * 1024 : 64 * 1024);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    received.set(buf.subarray(0, n), got);
    got += n;
    if (slow) await delay(1);
  }
  await sending;
  return received.subarray(0, got);
}

engineTest(
  "Balancer passes 8 MiB of random bytes to an echo backend and back intact",
  async (engine) => {
    await using backend = echoBackend();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
    });
    const data = randomBytes(8 * MiB);
    const back = await roundTrip(lb.addr.port, data, false);
    assert.equal(back.length, data.length);
    assert.equal(await sha256(back), await sha256(data));
    const [b] = lb.stats().backends;
    assert.equal(b!.bytesUp, 8 * MiB);
  },
);

engineTest("Balancer passes 8 MiB intact to a client that reads slowly", async (engine) => {
  await using backend = echoBackend();
  await using lb = await startOn(engine, {
    backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
    port: 0,
    healthIntervalMs: 0,
    bufferSize: 16 * 1024,
  });
  const data = randomBytes(8 * MiB);
  const back = await roundTrip(lb.addr.port, data, true);
  assert.equal(await sha256(back), await sha256(data));
});

engineTest(
  "proxy() applies backpressure: a stalled client stalls the backend's writes",
  async (engine) => {
    // The backend streams 64 MiB as fast as it can; the client reads 1 MiB and stops. Without
    // backpressure the proxy would read everything into memory; with it the backend blocks once
    // the socket buffers on the way (a few MiB on loopback) are full.
    const total = 64 * MiB;
    let written = 0;
    await using backend = new TestBackend("firehose", async (conn) => {
      const chunk = new Uint8Array(64 * 1024);
      while (written < total) written += await conn.write(chunk);
    }).start();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    const buf = new Uint8Array(64 * 1024);
    let read = 0;
    while (read < MiB) read += (await conn.read(buf)) ?? 0;
    let before = -1;
    while (before !== written) { // wait until the backend is stuck
      before = written;
      await delay(200);
    }
    assert.ok(written < 32 * MiB, `backend wrote ${written} bytes with the client at ${read}`);
    assert.ok(lb.stats().bytesDown - read < 32 * MiB, "the proxy is not hoarding the stream");
    conn.close();
  },
);

engineTest(
  "Balancer forwards half-close: the client shuts its write side and gets the full answer",
  async (engine) => {
    // the backend answers only after it has seen the client's FIN
    const answer = new TextEncoder().encode("x".repeat(300_000));
    await using backend = new TestBackend("after-fin", async (conn) => {
      const request = await readAll(conn);
      await delay(50);
      await writeAll(conn, answer);
      await writeAll(conn, new TextEncoder().encode(`|${request.length}`));
    }).start();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
    });
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    await writeAll(conn, new TextEncoder().encode("request body"));
    await conn.closeWrite();
    const got = new TextDecoder().decode(await readAll(conn));
    assert.equal(got.length, answer.length + 3);
    assert.ok(got.endsWith("|12"));
  },
);

engineTest(
  "Balancer forwards half-close the other way: the backend's FIN, then the client still talks",
  async (engine) => {
    await using backend = new TestBackend("greets-then-listens", async (conn) => {
      await writeAll(conn, new TextEncoder().encode("hello"));
      await conn.closeWrite();
      const got = await readAll(conn);
      received.resolve(new TextDecoder().decode(got));
    }).start();
    const received = Promise.withResolvers<string>();
    await using lb = await startOn(engine, {
      backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
      port: 0,
      healthIntervalMs: 0,
    });
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    assert.equal(new TextDecoder().decode(await readAll(conn)), "hello");
    await writeAll(conn, new TextEncoder().encode("still here"));
    await conn.closeWrite();
    assert.equal(await received.promise, "still here");
  },
);

/** A connected pair of sockets through a real listener. */
async function pair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [a, b] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return [a, b];
}

Deno.test("proxy() ends with 'idle timeout' and closes both sides when nothing flows", async () => {
  const [client, clientPeer] = await pair();
  const [backend, backendPeer] = await pair();
  using _c = clientPeer;
  using _b = backendPeer;
  const result = await proxy(client, backend, { idleTimeoutMs: 100 });
  assert.equal(result.end, "idle timeout");
  assert.equal(await clientPeer.read(new Uint8Array(1)), null);
  assert.equal(await backendPeer.read(new Uint8Array(1)), null);
});

Deno.test("proxy() ends with 'fin timeout' when the other side never finishes", async () => {
  const [client, clientPeer] = await pair();
  const [backend, backendPeer] = await pair();
  using _c = clientPeer;
  using _b = backendPeer;
  const run = proxy(client, backend, { finTimeoutMs: 100 });
  await clientPeer.closeWrite();
  const result = await run;
  assert.equal(result.end, "fin timeout");
  assert.equal(await backendPeer.read(new Uint8Array(1)), null);
});

Deno.test("proxy() closes the client when writing to the backend fails", async () => {
  const [client, clientPeer] = await pair();
  const [backend, backendPeer] = await pair();
  using _c = clientPeer;
  const run = proxy(client, backend, {});
  await writeAll(clientPeer, new Uint8Array(10));
  await delay(50);
  backendPeer.close(); // unread data pending: the kernel answers with RST
  assert.equal(await clientPeer.read(new Uint8Array(1)), null, "the backend's FIN is forwarded");
  // the client, still half-open, keeps talking into a backend that is gone
  for (let i = 0; i < 3; i++) {
    await clientPeer.write(new Uint8Array(10)).catch(() => 0);
    await delay(20);
  }
  const result = await run;
  assert.equal(result.end, "backend error");
  assert.ok(result.error instanceof Error);
  await assert.rejects(async () => {
    for (let i = 0; i < 5; i++) {
      await clientPeer.write(new Uint8Array(10));
      await delay(20);
    }
  }, "the client's socket was closed as well");
});

Deno.test("proxy() ends with 'shutdown' when its signal aborts", async () => {
  const [client, clientPeer] = await pair();
  const [backend, backendPeer] = await pair();
  using _c = clientPeer;
  using _b = backendPeer;
  const controller = new AbortController();
  const run = proxy(client, backend, { signal: controller.signal });
  await writeAll(clientPeer, new TextEncoder().encode("hi"));
  const buf = new Uint8Array(2);
  assert.equal(await backendPeer.read(buf), 2);
  controller.abort();
  const result = await run;
  assert.equal(result.end, "shutdown");
  assert.equal(result.up, 2);
});

Deno.test("proxy() lets a half-closed connection outlive the fin timeout while bytes still flow", async () => {
  // like HAProxy's `timeout client-fin`: the limit is on quiet time, not on the whole answer
  const [client, clientPeer] = await pair();
  const [backend, backendPeer] = await pair();
  using _c = clientPeer;
  using _b = backendPeer;
  const run = proxy(client, backend, { finTimeoutMs: 1000 });
  await clientPeer.closeWrite();
  assert.equal(await backendPeer.read(new Uint8Array(1)), null, "the client's FIN arrived");
  // a byte every 50 ms for twice the fin timeout: the whole answer outlasts it, and a pause would
  // have to be 20 times longer than planned (a busy machine's) to reach it
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < 2000) {
    await writeAll(backendPeer, new Uint8Array(1));
    sent++;
    await delay(50);
  }
  await backendPeer.closeWrite();
  assert.equal((await readAll(clientPeer)).length, sent);
  const result = await run;
  assert.equal(result.end, "client closed");
  assert.equal(result.down, sent);
});
