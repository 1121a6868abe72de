/** `netlab balance --mode http`: per-request balancing, proxy semantics, framing, streaming. */
import assert from "node:assert/strict";
import { serve } from "../../lib/server/async.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { ask, collectLogs, delay } from "./_helpers.ts";
import {
  concat,
  dec,
  enc,
  FORWARDED_SEEN,
  forwardingBackend,
  forwardingThrough,
  get,
  httpBackend,
  httpBalancer,
  RawClient,
} from "./_http.ts";
import { needs } from "../_tools.ts";

const linux = Deno.build.os === "linux";

Deno.test({
  name: "Balancer (http mode) spreads the requests of one keep-alive connection over every backend",
  ignore: !linux,
  async fn() {
    await using a = httpBackend("a");
    await using b = httpBackend("b");
    await using c = httpBackend("c");
    await using d = httpBackend("d");
    await using lb = await httpBalancer([a.port, b.port, c.port, d.port]);
    using client = await RawClient.connect(lb.addr.port);
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      await client.send(get(`/${i}`));
      const res = await client.read();
      assert.equal(res?.status, 200);
      seen.push(dec.decode(res!.body));
    }
    assert.deepEqual(seen, ["a", "b", "c", "d", "a", "b", "c", "d"]);
    assert.deepEqual([a.requests, b.requests, c.requests, d.requests], [2, 2, 2, 2]);
    assert.equal(lb.stats().total, 1, "one client connection");
  },
});

Deno.test({
  name: "Balancer (http mode) answers pipelined requests in order, each from its own backend",
  ignore: !linux,
  async fn() {
    await using a = httpBackend("a", (req) => new Response(`a${new URL(req.url).pathname}`));
    await using b = httpBackend("b", (req) => new Response(`b${new URL(req.url).pathname}`));
    await using lb = await httpBalancer([a.port, b.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(get("/1") + get("/2") + "HEAD /3 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/4"));
    const bodies = [];
    for (let i = 1; i <= 4; i++) {
      const res = await client.read(i === 3);
      assert.equal(res?.status, 200);
      bodies.push(dec.decode(res!.body));
    }
    assert.deepEqual(bodies, ["a/1", "b/2", "", "b/4"]);
  },
});

Deno.test({
  name: "Balancer (http mode) drops hop-by-hop fields and appends X-Forwarded-For",
  ignore: !linux,
  async fn() {
    await using echo = httpBackend("echo", (req, info) =>
      Response.json({
        headers: Object.fromEntries(req.headers),
        peer: info.remoteAddr.hostname,
      }, { headers: { "Keep-Alive": "timeout=5", "X-Private": "1", Connection: "X-Private" } }));
    await using lb = await httpBalancer([echo.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(
      "GET /h HTTP/1.1\r\nHost: site.example:8080\r\nConnection: keep-alive, X-Secret\r\n" +
        "X-Secret: no\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Connection: x\r\n" +
        "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: https\r\nX-Kept: yes\r\n\r\n",
    );
    const res = await client.read();
    assert.equal(res?.status, 200);
    assert.equal(res!.headers.get("keep-alive"), null);
    assert.equal(res!.headers.get("x-private"), null, "a field the Connection field names");
    const seen = JSON.parse(dec.decode(res!.body)).headers as Record<string, string>;
    assert.equal(seen["x-kept"], "yes");
    for (const gone of ["x-secret", "keep-alive", "te", "proxy-connection"]) {
      assert.equal(seen[gone], undefined, gone);
    }
    assert.equal(seen["x-forwarded-for"], "10.0.0.9, 127.0.0.1");
    assert.equal(seen["x-forwarded-proto"], "https", "passed as it came: no --forwarded");
    assert.equal(seen["forwarded"], undefined, "none added: no --forwarded");
    assert.equal(seen["host"], "site.example:8080");
  },
});

Deno.test({
  name: "Balancer (http mode) sets X-Forwarded-Proto and appends Forwarded with forwarded: true",
  ignore: !linux,
  async fn() {
    await using b = forwardingBackend("b");
    for (const forwarded of [false, true]) {
      await using lb = await httpBalancer([b.port], { forwarded });
      const seen = await forwardingThrough(lb.addr.port);
      assert.deepEqual(seen, FORWARDED_SEEN[forwarded ? "forwarded" : "plain"], `${forwarded}`);
    }
  },
});

Deno.test({
  name: "Balancer (http mode) streams a chunked upload and a chunked download of 4 MB",
  ignore: !linux,
  async fn() {
    const size = 4 * 1024 * 1024;
    await using echo = httpBackend("echo", async (req) => {
      // answers with the upload, streamed back as it arrives (chunked: no length known)
      const body = new Uint8Array(await req.arrayBuffer());
      let off = 0;
      return new Response(
        new ReadableStream({
          pull(c) {
            if (off >= body.length) return c.close();
            c.enqueue(body.slice(off, off += 100_000));
          },
        }),
      );
    });
    await using lb = await httpBalancer([echo.port]);
    const data = new Uint8Array(size).map((_, i) => (i * 7) & 255);
    let sent = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= size) return c.close();
        c.enqueue(data.subarray(sent, sent += 65_000));
      },
    });
    const res = await fetch(`http://127.0.0.1:${lb.addr.port}/up`, {
      method: "POST",
      body: upload,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    const back = new Uint8Array(await res.arrayBuffer());
    assert.equal(back.length, size);
    assert.ok(back.every((v, i) => v === data[i]), "the bytes came back as sent");
  },
});

Deno.test({
  name: "Balancer (http mode) frames HEAD, 204 and 304 answers without a body",
  ignore: !linux,
  async fn() {
    await using be = httpBackend("be", (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/204") return new Response(null, { status: 204 });
      if (path === "/304") return new Response(null, { status: 304, headers: { ETag: '"x"' } });
      return new Response("twelve bytes");
    });
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(
      "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + get("/204") + get("/304") + get("/after"),
    );
    const head = await client.read(true);
    assert.equal(head?.status, 200);
    assert.equal(head!.headers.get("content-length"), "12");
    assert.equal((await client.read())?.status, 204);
    assert.equal((await client.read())?.status, 304);
    const after = await client.read();
    assert.equal(dec.decode(after!.body), "twelve bytes");
  },
});

Deno.test({
  name: "Balancer (http mode) keeps an HTTP/1.0 client's keep-alive and closes without it",
  ignore: !linux,
  async fn() {
    await using be = httpBackend("be");
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const first = await client.read();
    assert.equal(first?.headers.get("connection"), "keep-alive");
    await client.send("GET / HTTP/1.0\r\n\r\n");
    const second = await client.read();
    assert.equal(dec.decode(second!.body), "be");
    assert.ok(await client.closed());
  },
});

const curlTest = needs(
  ["curl"],
  "Balancer (http mode) serves page.html to curl and logs one line a request",
);
Deno.test(
  curlTest[0],
  { ignore: curlTest[1].ignore || !linux },
  async () => {
    await using logs = await collectLogs();
    const root = await defaultRoot();
    const ac = new AbortController();
    const servers = await Promise.all(
      [0, 1].map(() => serve({ root, port: 0, accessLog: false, signal: ac.signal })),
    );
    try {
      await using lb = await httpBalancer(servers.map((s) => s.addr.port));
      const url = `http://127.0.0.1:${lb.addr.port}/page.html`;
      const out = await new Deno.Command("curl", { args: ["-sS", url, url] }).output();
      assert.ok(out.success, dec.decode(out.stderr));
      const page = await Deno.readFile(`${root}/page.html`);
      assert.deepEqual(out.stdout, concat([page, page]));
      const lines = logs.lines.filter((l) => l.includes("GET /page.html from 127.0.0.1:"));
      assert.equal(lines.length, 2, logs.lines.join("\n"));
      assert.match(lines[0]!, /forwarded to 127\.0\.0\.1:\d+: 200, 2067 bytes, \d+\.\d ms$/);
      const to = lines.map((l) => l.match(/forwarded to (\S+):/)![1]);
      assert.notEqual(to[0], to[1], "one curl connection, two backends");
    } finally {
      ac.abort();
      await Promise.all(servers.map((s) => s.finished));
    }
  },
);

Deno.test({
  name: "Balancer (http mode) holds a slow reader's download to bounded memory",
  ignore: !linux,
  async fn() {
    const total = 64 * 1024 * 1024;
    let pulled = 0;
    await using be = httpBackend("big", () =>
      new Response(
        new ReadableStream({
          pull(c) {
            if (pulled >= total) return c.close();
            c.enqueue(new Uint8Array(256 * 1024));
            pulled += 256 * 1024;
          },
        }, { highWaterMark: 0 }),
      ));
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(get("/big"));
    // read nothing: once the pull count stops moving, the proxy holds the backend back
    let last = -1;
    while (pulled !== last) {
      last = pulled;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(pulled < total / 2, `the backend produced ${pulled} bytes for a client reading none`);
    const res = await client.read();
    assert.equal(res?.body.length, total);
  },
});

Deno.test({
  name: "Balancer (http mode) refuses CONNECT with 501 and --mode http with the deno engine",
  ignore: !linux,
  async fn() {
    await using be = httpBackend("be");
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert.equal((await client.read())?.status, 501);
    await assert.rejects(
      () => httpBalancer([be.port], { engine: "deno" }),
      /epoll engine only/,
    );
    assert.equal(be.requests, 0);
    void enc;
  },
});

Deno.test({
  name: "Balancer (http mode) passes 100 Continue on before the body of an Expect request",
  ignore: !linux,
  async fn() {
    await using be = httpBackend(
      "be",
      async (req) => new Response(`got ${(await req.text()).length}`),
    );
    await using lb = await httpBalancer([be.port]);
    using client = await RawClient.connect(lb.addr.port);
    await client.send(
      "POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    assert.equal((await client.read())?.status, 100, "the body is sent only after this");
    await client.send("hello");
    assert.equal(dec.decode((await client.read())!.body), "got 5");
  },
});

Deno.test({
  name: "Balancer (http mode) closes clients beyond maxConns (1) at once and says so once",
  ignore: !linux,
  async fn() {
    await using logs = await collectLogs();
    await using be = httpBackend("be");
    await using lb = await httpBalancer([be.port], { maxConns: 1 });
    using held = await RawClient.connect(lb.addr.port);
    while (lb.stats().active < 1) await delay(5);
    // (a request sent to a socket closed unread would make its close a reset)
    assert.equal(await ask(lb.addr.port), "");
    assert.equal(await ask(lb.addr.port), "");
    assert.equal(lb.stats().rejected, 2);
    assert.deepEqual(logs.lines.filter((l) => l.includes("max-conns")), [
      "1 connection open (max-conns): closing new ones until one ends",
    ]);
    await held.send(get("/"));
    assert.equal(dec.decode((await held.read())!.body), "be");
  },
});
