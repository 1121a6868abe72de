/** `--mode http` when backends fail: 502, 503, 504, retries, closed pooled connections. */
import assert from "node:assert/strict";
import { collectLogs } from "./_helpers.ts";
import { deadPort } from "../_ports.ts";
import { dec, enc, get, httpBackend, httpBalancer, RawClient } from "./_http.ts";

const linux = Deno.build.os === "linux";

/** A raw TCP backend: each connection is handed to `handle`; counts connections. */
function rawBackend(handle: (conn: Deno.TcpConn, n: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const state = { accepted: 0, port: listener.addr.port };
  const tasks: Promise<void>[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      const n = ++state.accepted;
      tasks.push(
        handle(conn, n).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch { /* closed */ }
        }),
      );
    }
  })();
  return Object.assign(state, {
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      await Promise.all(tasks);
    },
  });
}

/** Reads until a request head has arrived (the tests send no bodies). */
async function readHead(conn: Deno.TcpConn): Promise<string> {
  const buf = new Uint8Array(8192);
  let got = "";
  while (!got.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) return got;
    got += dec.decode(buf.subarray(0, n));
  }
  return got;
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Deno.test({
  name: "Balancer (http mode) answers 502 when a backend dies mid-head, and the next request works",
  ignore: !linux,
  async fn() {
    await using logs = await collectLogs();
    await using bad = rawBackend(async (conn) => {
      await readHead(conn);
      await conn.write(enc.encode("HTTP/1.1 200 OK\r\nContent-Le"));
    });
    await using good = httpBackend("good");
    await using lb = await httpBalancer([bad.port, good.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(get("/"));
    const res = await client.read();
    assert.equal(res?.status, 502);
    assert.match(dec.decode(res!.body), /^502 Bad Gateway/);
    await client.send(get("/"));
    assert.equal(dec.decode((await client.read())!.body), "good");
    assert.ok(
      logs.lines.some((l) => /GET \/ from .*: 502, \d+ bytes/.test(l)),
      logs.lines.join("\n"),
    );
  },
});

Deno.test({
  name: "Balancer (http mode) closes the client when a backend dies mid-body, then serves anew",
  ignore: !linux,
  async fn() {
    await using bad = rawBackend(async (conn) => {
      await readHead(conn);
      await conn.write(enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten.."));
    });
    await using good = httpBackend("good");
    await using lb = await httpBalancer([bad.port, good.port]);
    using first = await RawClient.connect(lb.addr.port);
    await first.send(get("/"));
    assert.equal(await first.read(), null, "a truncated response ends the connection");
    using second = await RawClient.connect(lb.addr.port);
    await second.send(get("/"));
    assert.equal(dec.decode((await second.read())!.body), "good");
  },
});

Deno.test({
  name: "Balancer (http mode) takes a backend closing pooled connections as no client's error",
  ignore: !linux,
  async fn() {
    // answers one request per connection, keep-alive announced, then closes it
    await using be = rawBackend(async (conn) => {
      await readHead(conn);
      await conn.write(enc.encode(OK));
    });
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    for (let i = 0; i < 5; i++) {
      await client.send(get(`/${i}`));
      const res = await client.read();
      assert.equal(res?.status, 200, `request ${i}`);
    }
    assert.equal(be.accepted, 5);
  },
});

Deno.test({
  name: "Balancer (http mode) retries a GET once on another backend, never a POST",
  ignore: !linux,
  async fn() {
    await using dropper = rawBackend(async (conn) => {
      await readHead(conn);
    });
    await using good = httpBackend("good");
    await using lb = await httpBalancer([dropper.port, good.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(get("/")); // round-robin: the dropper first
    const res = await client.read();
    assert.equal(dec.decode(res!.body), "good");
    assert.equal(dropper.accepted, 1);
    await client.send(get("/")); // the good one's turn
    await client.read();
    await client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert.equal((await client.read())?.status, 502);
    assert.equal(good.requests, 2);
  },
});

Deno.test({
  name: "Balancer (http mode) answers 503 with no backend up, 504 after --server-timeout",
  ignore: !linux,
  async fn() {
    const port = deadPort(); // held, never listening: no other test's listener takes it
    await using down = await httpBalancer([port], { retries: 0 });
    using c1 = await RawClient.connect(down.addr.port);
    await c1.send(get("/"));
    const r1 = await c1.read();
    assert.equal(r1?.status, 503);
    assert.match(dec.decode(r1!.body), /^503 Service Unavailable/);
    const release = Promise.withResolvers<void>();
    await using silent = rawBackend(async (conn) => {
      await readHead(conn);
      await release.promise;
    });
    await using slow = await httpBalancer([silent.port], { serverTimeoutMs: 200 });
    using c2 = await RawClient.connect(slow.addr.port);
    await c2.send(get("/"));
    const r2 = await c2.read();
    release.resolve();
    assert.equal(r2?.status, 504);
  },
});

Deno.test({
  name: "Balancer (http mode) queues requests for a busy backend, then answers 503 when full",
  ignore: !linux,
  async fn() {
    const gate = Promise.withResolvers<void>();
    await using be = httpBackend("be", async () => {
      await gate.promise;
      return new Response("done");
    });
    await using lb = await httpBalancer([be.port], { backendConns: 1, backendQueue: 1 });
    using first = await RawClient.connect(lb.addr.port);
    using second = await RawClient.connect(lb.addr.port);
    using third = await RawClient.connect(lb.addr.port);
    await first.send(get("/1"));
    while (be.requests === 0) await new Promise((r) => setTimeout(r, 10));
    await second.send(get("/2")); // waits in the queue
    await third.send(get("/3")); // the queue is full
    assert.equal((await third.read())?.status, 503);
    gate.resolve();
    assert.equal(dec.decode((await first.read())!.body), "done");
    assert.equal(dec.decode((await second.read())!.body), "done");
    assert.equal(be.requests, 2);
  },
});

Deno.test({
  name: "Balancer (http mode) sends each request head whole, longer or shorter than the last",
  ignore: !linux,
  async fn() {
    // one request per backend connection: the next one may be retried on a stale pooled one
    const heads: string[] = [];
    await using be = rawBackend(async (conn) => {
      heads.push(await readHead(conn));
      await conn.write(enc.encode(OK));
    });
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    const paths = ["/" + "a".repeat(400), "/b", "/" + "c".repeat(3000), "/d", "/" + "e".repeat(50)];
    for (const path of paths) {
      await client.send(get(path, "X-Pad: " + "p".repeat(path.length % 97) + "\r\n"));
      assert.equal((await client.read())?.status, 200, path);
    }
    assert.deepEqual(heads.map((h) => h.split(" ")[1]), paths);
    for (const [i, h] of heads.entries()) {
      assert.equal(h.indexOf("\r\n\r\n"), h.length - 4, `head ${i} ends where it should`);
      assert.equal(h.match(/^X-Pad: p*$/m)?.[0].length, 7 + paths[i]!.length % 97);
    }
  },
});
