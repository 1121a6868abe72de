import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { makeFixture } from "../http/_cases.ts";
import { exchange, readToEnd, splitReplies, writeAll } from "./_wire.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const HELLO = "hello, netlab\n";

async function server(
  options: Parameters<typeof startHttp1>[0] extends infer O ? Partial<O> : never = {},
) {
  const fixture = await makeFixture();
  const s = startHttp1({ root: fixture.root, port: 0, accessLog: false, ...options });
  return {
    port: s.addr.port,
    server: s,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
      await fixture[Symbol.asyncDispose]();
    },
  };
}

Deno.test("startHttp1() answers 50 pipelined requests from one write in order", async () => {
  await using s = await server();
  const kinds = [
    ["GET", "/hello.txt", 200, HELLO],
    ["GET", "/sub/a.txt", 200, "a\n"],
    ["GET", "/missing", 404, "<h1>nothing here</h1>\n"],
    ["HEAD", "/hello.txt", 200, ""],
    ["POST", "/hello.txt", 405, "405 Method Not Allowed\n"],
  ] as const;
  let text = "";
  const want: (typeof kinds)[number][] = [];
  for (let i = 0; i < 50; i++) {
    const k = kinds[(i * 3) % kinds.length]!;
    want.push(k);
    const close = i === 49 ? "Connection: close\r\n" : "";
    text += `${k[0]} ${k[1]} HTTP/1.1\r\nHost: a.test\r\n${close}\r\n`;
  }
  const replies = splitReplies(await exchange(s.port, text), want.map((k) => k[0] === "HEAD"));
  assert.equal(replies.length, 50);
  replies.forEach((r, i) => {
    assert.equal(r.status, want[i]![2], `reply ${i}`);
    assert.equal(r.body, want[i]![3], `reply ${i}`);
  });
});

Deno.test("startHttp1() closes a connection whose head does not arrive within --header-timeout", async () => {
  await using s = await server({ headerTimeout: 0.3 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await writeAll(conn, enc.encode("GET /hello.txt HTTP/1.1\r\nHo"));
  assert.equal((await readToEnd(conn)).length, 0, "closed without an answer");
  assert.equal(s.server.connections, 0);
});

Deno.test("startHttp1() closes an idle keep-alive connection after --keepalive-timeout", async () => {
  await using s = await server({ keepAliveTimeout: 0.3 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await writeAll(conn, enc.encode("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
  const replies = splitReplies(dec.decode(await readToEnd(conn)));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.body, HELLO);
});

Deno.test("startHttp1() follows the Host rules", async () => {
  await using s = await server();
  const status = async (req: string) => splitReplies(await exchange(s.port, req))[0]!.status;
  assert.equal(await status("GET /hello.txt HTTP/1.1\r\n\r\n"), 400, "no Host on 1.1");
  assert.equal(await status("GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  assert.equal(await status("GET /hello.txt HTTP/1.1\r\nHost: x/sub\r\n\r\n"), 400);
  assert.equal(await status("GET /hello.txt HTTP/1.1\r\nHost: a?x\r\n\r\n"), 400);
  const abs = splitReplies(
    await exchange(
      s.port,
      "GET http://b.test/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ),
  );
  assert.equal(abs[0]!.status, 200, "absolute-form");
  assert.equal(abs[0]!.body, HELLO);
});

Deno.test("startHttp1() follows the version rules", async () => {
  await using s = await server();
  const one = async (req: string) => splitReplies(await exchange(s.port, req));
  assert.equal((await one("GET /hello.txt HTTP/2.0\r\nHost: a\r\n\r\n"))[0]!.status, 505);
  assert.equal((await one("GET /hello.txt HTTP/1.1x\r\nHost: a\r\n\r\n"))[0]!.status, 400);
  const old = await one("GET /hello.txt HTTP/1.0\r\n\r\n");
  assert.equal(old[0]!.status, 200, "1.0 needs no Host, and the server closes after it");
  assert.equal(old[0]!.headers.get("connection"), "close");
  const later = await one("GET /hello.txt HTTP/1.9\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.equal(later[0]!.status, 200, "a later 1.x is 1.1");
  // HTTP/1.0 keep-alive: the connection stays for a second request
  const ka = "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  const two = await one(ka + "GET /sub/a.txt HTTP/1.0\r\n\r\n");
  assert.equal(two.length, 2);
  assert.equal(two[0]!.headers.get("connection"), "keep-alive");
  assert.equal(two[1]!.body, "a\n");
});

Deno.test("startHttp1() skips request bodies and answers Expect: 100-continue", async () => {
  await using s = await server();
  const body = "x".repeat(70_000);
  const sized =
    `POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const chunked = "POST /hello.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "3\r\nabc\r\n0\r\n\r\n";
  const last = "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  const replies = splitReplies(await exchange(s.port, sized + chunked + last));
  assert.deepEqual(replies.map((r) => r.status), [405, 405, 200]);
  assert.equal(replies[2]!.body, HELLO);
  const expect = "POST /hello.txt HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n" +
    "Content-Length: 3\r\nConnection: close\r\n\r\n";
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await writeAll(conn, enc.encode(expect));
  const buf = new Uint8Array(1024);
  const n = await conn.read(buf);
  assert.match(dec.decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  await writeAll(conn, enc.encode("abc"));
  const rest = dec.decode(buf.subarray(0, n ?? 0)) + dec.decode(await readToEnd(conn));
  assert.deepEqual(splitReplies(rest).map((r) => r.status), [100, 405]);
});

Deno.test("startHttp1() refuses what a Request cannot carry", async () => {
  await using s = await server();
  const status = async (req: string) => splitReplies(await exchange(s.port, req))[0]!;
  const connect = await status("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n");
  assert.equal(connect.status, 405);
  assert.equal(connect.headers.get("allow"), "GET, HEAD");
  assert.equal((await status("get /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")).status, 501);
});

Deno.test("startHttp1() makes brotli off the loop: first answer plain, later ones br", async () => {
  await using s = await server();
  const ask = async () =>
    splitReplies(
      await exchange(
        s.port,
        "GET /prose.txt HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n",
      ),
    )[0]!;
  const first = await ask();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("content-encoding"), null, "not held up by the compression");
  let later = first;
  // the compressed variant is ready within a few rounds; the fast path may replay the plain
  // answer for up to a second before the handler is asked again
  for (let i = 0; i < 400 && later.headers.get("content-encoding") !== "br"; i++) {
    await new Promise((r) => setTimeout(r, 10));
    later = await ask();
  }
  assert.equal(later.headers.get("content-encoding"), "br");
  assert.ok(later.body.length < first.body.length);
});
