import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { serve } from "../../lib/server/async.ts";
import { HAS_IPV6 } from "../_ipv6.ts";
import { rawExchange } from "./_raw.ts";

async function page(url: string, init?: RequestInit): Promise<Response> {
  return await fetch(new URL("page.html", url), init);
}

Deno.test("serve() listens on a free port with port 0 and serves www/page.html", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  assert.notEqual(server.addr.port, 0);
  assert.equal(server.url, `http://127.0.0.1:${server.addr.port}/`);
  const res = await page(server.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  assert.match(await res.text(), /<title>/);
  const jpg = await fetch(new URL("research_center.jpg", server.url));
  const body = new Uint8Array(await jpg.arrayBuffer());
  assert.equal(jpg.headers.get("content-type"), "image/jpeg");
  assert.ok(body.length > 100_000 && body.length < 300_000, String(body.length));
  assert.deepEqual([...body.subarray(0, 3)], [0xff, 0xd8, 0xff]); // a JPEG, not a placeholder
});

Deno.test("serve() logs the listening line and one access line per request", async () => {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { mem: (r) => void records.push(r) },
    loggers: [
      { category: ["netlab"], sinks: ["mem"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    await using server = await serve({ root: await defaultRoot(), port: 0 });
    const line = (r: LogRecord) => r.message.map(String).join("");
    assert.ok(records.some((r) => line(r) === `listening on ${server.url} (engine deno)`));
    await (await page(server.url)).body?.cancel();
    await (await fetch(new URL("nope", server.url))).body?.cancel();
    // req.url takes Host as is: its spaces must not forge the fields after the path
    await rawExchange(
      server.addr.port,
      "GET /x HTTP/1.1\r\nHost: h/ 200 1 1ms\r\nConnection: close\r\n\r\n",
    );
    const access = records.filter((r) => r.category.join(".") === "netlab.access");
    assert.equal(access.length, 3);
    assert.match(line(access[2]!), /^127\.0\.0\.1:\d+ GET \S+ 400 \d+ [\d.]+ms$/);
    assert.match(line(access[0]!), /^127\.0\.0\.1:\d+ GET \/page\.html 200 \d+ [\d.]+ms$/);
    assert.match(line(access[1]!), /^127\.0\.0\.1:\d+ GET \/nope 404 /);
    assert.equal(access[0]!.properties.status, 200);
    assert.equal(access[0]!.properties.method, "GET");
  } finally {
    await reset();
  }
});

Deno.test("serve() keeps serving after a garbage request line", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  const answer = await rawExchange(server.addr.port, "THIS IS NOT HTTP\r\n\r\n");
  assert.ok(answer === "" || /^HTTP\/1\.[01] 4\d\d/.test(answer), answer);
  assert.equal((await page(server.url)).status, 200);
});

Deno.test("serve() refuses a 100 KB header and keeps serving", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  const huge = `GET /page.html HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`;
  const answer = await rawExchange(server.addr.port, huge);
  assert.doesNotMatch(answer, /^HTTP\/1\.1 5/);
  const res = await page(server.url);
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("serve() answers others while a client sends half a header and stalls", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  using stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await stalled.write(new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: loc"));
  const res = await page(server.url);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const raw = await rawExchange(
    server.addr.port,
    "GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  assert.match(raw, /^HTTP\/1\.1 200 OK/);
  stalled.close();
});

Deno.test("serve() never serves outside the root for raw traversal requests", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  for (
    const target of [
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/..\\..\\..\\etc\\passwd",
      "/%00",
      "/%ff%fe",
      "//etc/passwd",
    ]
  ) {
    const raw = await rawExchange(
      server.addr.port,
      `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assert.match(raw, /^HTTP\/1\.1 (400|404)/, `${target}: ${raw.slice(0, 40)}`);
    assert.doesNotMatch(raw, /root:/);
  }
});

Deno.test("serve() finishes an in-flight request when its signal aborts, then stops", async () => {
  const controller = new AbortController();
  // the handler holds the request until the abort has been given: in flight whatever the timing
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const server = await serve({
    root: await defaultRoot(),
    port: 0,
    accessLog: false,
    signal: controller.signal,
    handler: async () => {
      arrived.resolve();
      await release.promise;
      return new Response("done");
    },
  });
  const inFlight = fetch(server.url);
  await arrived.promise;
  controller.abort();
  release.resolve();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "done");
  await server.finished;
  await assert.rejects(fetch(server.url));
});

Deno.test("serve() throws AddrInUse for a busy port", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assert.rejects(
    serve({ root: await defaultRoot(), port: listener.addr.port, accessLog: false }),
    Deno.errors.AddrInUse,
  );
});

Deno.test({
  name: "serve() listens on ::1 (needs IPv6 loopback)",
  ignore: !HAS_IPV6,
  async fn() {
    await using server = await serve({
      root: await defaultRoot(),
      host: "::1",
      port: 0,
      accessLog: false,
    });
    assert.equal(server.url, `http://[::1]:${server.addr.port}/`);
    const res = await page(server.url);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  },
});

Deno.test("serve() answers odd requests with 4xx or a file, never 5xx", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  const enc = new TextEncoder();
  const tail = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  const cases: (string | Uint8Array)[] = [
    // req.url is built from Host: these make it unparsable (on a path no other case made hot)
    "GET /favicon.ico HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
    "GET /favicon.ico HTTP/1.1\r\nHost: x:99999\r\nConnection: close\r\n\r\n",
    `GET /${"a".repeat(300)}${tail}\r\n`, // a name longer than the file system allows
    `GET /${"a/".repeat(3000)}${tail}\r\n`, // a path longer than PATH_MAX
    new Uint8Array([...enc.encode("GET /"), 0xff, 0xfe, 0xc3, ...enc.encode(`${tail}\r\n`)]),
    `GET /page.html%ZZ${tail}\r\n`,
    `GET *${tail}\r\n`,
    `GET /page.html${tail}Range: bytes=99999999999999999999999-\r\n\r\n`,
    `GET /page.html${tail}If-Modified-Since: garbage\r\nIf-None-Match: ,,,\r\n\r\n`,
    `GET /page.html${tail}Accept-Encoding: ;;;,,q=,br;q=abc\r\n\r\n`,
    `GET /page.html${tail}Range: bytes=${"0-0,".repeat(500)}0-0\r\n\r\n`,
  ];
  for (const c of cases) {
    const status = (await rawExchange(server.addr.port, c)).split("\r\n")[0];
    assert.match(
      status!,
      /^HTTP\/1\.1 [234]\d\d /,
      typeof c === "string" ? c.slice(0, 60) : "bytes",
    );
  }
});

Deno.test("serve() sends HEAD with the file's Content-Length and no body over the wire", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  const size = (await Deno.stat(`${await defaultRoot()}/page.html`)).size;
  for (let i = 0; i < 2; i++) { // the second goes through the hot path
    const raw = await rawExchange(
      server.addr.port,
      "HEAD /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, new RegExp(`\r\ncontent-length: ${size}\r\n`, "i"));
    assert.ok(raw.endsWith("\r\n\r\n"), "no body after the head");
  }
});

Deno.test("serve() does not let an odd Host header change what a path serves later", async () => {
  await using server = await serve({ root: await defaultRoot(), port: 0, accessLog: false });
  // "Host: x?" puts the path into the query, so this request is answered as "/" (index.html)
  await rawExchange(
    server.addr.port,
    "GET /page.html HTTP/1.1\r\nHost: x?\r\nConnection: close\r\n\r\n",
  );
  const res = await page(server.url);
  const text = await res.text();
  const want = await Deno.readTextFile(`${await defaultRoot()}/page.html`);
  assert.equal(text, want);
});
