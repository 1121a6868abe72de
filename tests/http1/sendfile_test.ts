import assert from "node:assert/strict";
import { type Http1Options, startHttp1 } from "../../lib/server/epoll.ts";
import { Client, LARGE, largeSite, until } from "./_files.ts";

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: a.test\r\n${extra}\r\n`;

async function server(options: Partial<Http1Options> = {}) {
  const site = await largeSite();
  const s = startHttp1({ root: site.root, port: 0, accessLog: false, ...options });
  return {
    site,
    port: s.addr.port,
    server: s,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
      await site[Symbol.asyncDispose]();
    },
  };
}

Deno.test("startHttp1() sends a large file whole with sendfile(2), byte for byte, and keeps the connection", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  await c.send(GET("/large.bin"));
  const head = await c.head();
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(LARGE));
  assert.deepEqual(await c.body(LARGE), s.site.large);
  assert.equal(s.server.filesSent, 1, "the body went by sendfile, not the stream");
  // the next request on the same connection is answered after it
  await c.send(GET("/small.txt"));
  const next = await c.head();
  assert.equal(next.status, 200);
  assert.equal(new TextDecoder().decode(await c.body(6)), "small\n");
});

Deno.test("startHttp1() sends one range of a large file with sendfile(2)", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  const [start, end] = [1_000_001, 9_876_543];
  await c.send(GET("/large.bin", `Range: bytes=${start}-${end}\r\n`));
  const head = await c.head();
  assert.equal(head.status, 206);
  assert.equal(head.headers.get("content-range"), `bytes ${start}-${end}/${LARGE}`);
  assert.deepEqual(await c.body(end - start + 1), s.site.large.subarray(start, end + 1));
  assert.equal(s.server.filesSent, 1);
  // a suffix range, then a multipart one (streamed as before), on the same connection
  await c.send(GET("/large.bin", "Range: bytes=-300000\r\n"));
  assert.equal((await c.head()).status, 206);
  assert.deepEqual(await c.body(300_000), s.site.large.subarray(LARGE - 300_000));
  await c.send(GET("/large.bin", "Range: bytes=0-0,5-5\r\n"));
  const multi = await c.head();
  assert.match(multi.headers.get("content-type")!, /^multipart\/byteranges/);
  await c.body(Number(multi.headers.get("content-length")));
  assert.equal(s.server.filesSent, 2);
});

Deno.test("startHttp1() answers HEAD of a large file with its head alone", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  await c.send(`HEAD /large.bin HTTP/1.1\r\nHost: a.test\r\n\r\n`);
  const head = await c.head();
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(LARGE));
  // no body came: the next answer follows the head at once
  await c.send(GET("/small.txt", "Connection: close\r\n"));
  assert.equal((await c.head()).status, 200);
  assert.equal(await c.drain(), 6);
  assert.equal(s.server.filesSent, 0);
});

Deno.test("startHttp1() waits out a full socket (EAGAIN) and resumes, for a slow reader", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  // two bodies back to back, read 16 KiB at a time: far more than the socket buffers can hold
  await c.send(GET("/large.bin") + GET("/large.bin", "Range: bytes=5-2000004\r\n"));
  assert.equal((await c.head()).status, 200);
  assert.deepEqual(await c.body(LARGE, true), s.site.large);
  assert.equal((await c.head()).status, 206);
  assert.deepEqual(await c.body(2_000_000, true), s.site.large.subarray(5, 2_000_005));
  assert.equal(s.server.filesSent, 2);
});

Deno.test("startHttp1() closes a connection whose client resets in the middle of a file", async () => {
  await using s = await server();
  for (let i = 0; i < 5; i++) {
    const c = await Client.connect(s.port);
    await c.send(GET("/large.bin"));
    await c.head();
    await c.body(100_000);
    c.conn.close(); // unread bytes: the kernel answers with a reset
  }
  await until(() => s.server.connections === 0, "the server to close the reset connections");
  // and it still serves
  using c = await Client.connect(s.port);
  await c.send(GET("/large.bin"));
  await c.head();
  assert.deepEqual(await c.body(LARGE), s.site.large);
});

Deno.test("startHttp1() closes a client that stops reading a file after --send-timeout", async () => {
  await using s = await server({ sendTimeout: 1 });
  using c = await Client.connect(s.port);
  await c.send(GET("/large.bin"));
  await c.head();
  // nothing read until the server has given up on this connection
  await until(() => s.server.connections === 0, "the send timeout to close the connection");
  assert.ok(await c.drain() < LARGE, "the connection closed before the whole body");
});

Deno.test("startHttp1() closes the connection when the file shrinks while being sent", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  await c.send(GET("/large.bin"));
  assert.equal((await c.head()).status, 200);
  await c.body(1000);
  await Deno.truncate(`${s.site.root}/large.bin`, 1000);
  // what was in the socket buffers still arrives, then the close: never the announced length
  assert.ok(await c.drain() < LARGE - 1000);
  assert.equal(s.server.filesSent, 1);
});

Deno.test("startHttp1() stopping lets a file being sent finish, then closes", async () => {
  await using s = await server();
  using c = await Client.connect(s.port);
  await c.send(GET("/large.bin"));
  await c.head();
  await c.body(1000, true);
  const stopped = s.server.shutdown();
  const rest = await c.body(LARGE - 1000, true);
  assert.deepEqual(rest, s.site.large.subarray(1000));
  assert.equal(await c.drain(), 0);
  await stopped;
});
