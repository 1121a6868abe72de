/**
 * The epoll engine under pipelining that a careful client would never send: thousands of
 * bodiless answers in a row, a client that never reads, a FIN while the server is not reading.
 * Everything here counts (answers, requests parsed, bytes), nothing is timed.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { readToEnd, writeAll } from "./_wire.ts";
import { until } from "./_files.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");
const FILE_BYTES = 256 * 1024;

async function site(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-pipeline-" });
  await Deno.writeFile(`${root}/f.bin`, new Uint8Array(FILE_BYTES).map((_, i) => i & 0xff));
  await Deno.writeTextFile(`${root}/small.txt`, "small\n");
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

async function server(options: { keepAliveTimeout?: number } = {}) {
  const files = await site();
  const s = startHttp1({ root: files.root, port: 0, accessLog: false, ...options });
  return {
    port: s.addr.port,
    server: s,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
      await files[Symbol.asyncDispose]();
    },
  };
}

/** Answers in `text` (each status line starts one). */
function count(text: string, status: string): number {
  return text.split(`HTTP/1.1 ${status}`).length - 1;
}

Deno.test("startHttp1() answers 10,000 pipelined bodiless requests in order, on one stack", async () => {
  await using s = await server();
  // If-Modified-Since: the handler answers 304 synchronously, with no body
  const one = "HEAD /f.bin HTTP/1.1\r\nHost: a\r\n" +
    "If-Modified-Since: Wed, 01 Jan 2098 00:00:00 GMT\r\n\r\n";
  const n = 10_000;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  const writing = writeAll(
    conn,
    enc.encode(one.repeat(n - 1) + one.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")),
  );
  const text = dec.decode(await readToEnd(conn));
  await writing;
  assert.equal(count(text, "304"), n);
  assert.equal(count(text, ""), n, "nothing but 304s");
  assert.equal(s.server.requests, n);
});

Deno.test("startHttp1() parses the next pipelined request only once the answer left", async () => {
  await using s = await server();
  const n = 300;
  const get = "GET /f.bin HTTP/1.1\r\nHost: a\r\n\r\n";
  // cached first: the stalled answers come from the fast path, which once answered them all
  await (await fetch(`http://127.0.0.1:${s.port}/f.bin`)).arrayBuffer();
  const before = s.server.requests;
  using stalled = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await writeAll(
    stalled,
    enc.encode(get.repeat(n - 1) + "GET /f.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
  );
  // another client is answered while the first reads nothing (the loop is not held)
  const other = await fetch(`http://127.0.0.1:${s.port}/small.txt`);
  assert.equal(await other.text(), "small\n");
  await until(() => s.server.requests > before + 1, "the stalled client's requests parsed");
  // the kernel's buffers hold some answers; the rest wait unparsed, costing nothing
  const parsed = s.server.requests - before - 1;
  assert.ok(
    parsed < n / 2,
    `${parsed} of ${n} requests parsed while their answers could not leave`,
  );
  // then it reads: every answer arrives, whole and in order
  const bytes = await readToEnd(stalled);
  const text = dec.decode(bytes);
  assert.equal(count(text, "200"), n);
  assert.ok(bytes.length > n * FILE_BYTES);
  assert.equal(s.server.requests - before - 1, n);
});

Deno.test("startHttp1() closes on a FIN that came while it was not reading", async () => {
  // a keep-alive timeout longer than the read guard: only the FIN can end the connection in time
  await using s = await server({ keepAliveTimeout: 600 });
  await (await fetch(`http://127.0.0.1:${s.port}/small.txt`)).arrayBuffer();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  // the handler's turn first (a 304 for If-Modified-Since), then more than the server holds
  // while the handler works: it stops reading, and the FIN comes meanwhile
  const slow = "HEAD /f.bin HTTP/1.1\r\nHost: a\r\n" +
    "If-Modified-Since: Wed, 01 Jan 2098 00:00:00 GMT\r\n\r\n";
  const n = 25;
  const padded = `GET /small.txt HTTP/1.1\r\nHost: a\r\nX-Pad: ${"p".repeat(4000)}\r\n\r\n`;
  await writeAll(conn, enc.encode(slow + padded.repeat(n)));
  await conn.closeWrite();
  const text = dec.decode(await readToEnd(conn, 20_000));
  assert.equal(count(text, "304"), 1);
  assert.equal(count(text, "200"), n);
});

Deno.test("startHttp1() ends a connection whose answer differs from its Content-Length", async () => {
  const bodies: Record<string, () => BodyInit> = {
    "/short": () => "abc",
    "/long": () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(100_000).fill(120));
          c.close();
        },
      }),
  };
  const declared: Record<string, string> = { "/short": "10", "/long": "300000" };
  const s = startHttp1({
    root: ".",
    port: 0,
    accessLog: false,
    handler: (req) => {
      const path = new URL(req.url).pathname;
      return new Response(bodies[path]!(), { headers: { "content-length": declared[path]! } });
    },
  });
  try {
    for (const path of ["/short", "/long"]) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
      const get = `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
      await writeAll(conn, enc.encode(get + get));
      const text = dec.decode(await readToEnd(conn));
      // the second answer never follows a broken one: the connection ends instead
      assert.ok(count(text, "") <= 1, `${path}: ${count(text, "")} answers`);
      const head = text.indexOf("\r\n\r\n");
      assert.ok(head < 0 || text.length - head - 4 <= Number(declared[path]), path);
    }
  } finally {
    await s.shutdown();
  }
});

Deno.test("startHttp1() keeps a stalled client's batched answers apart from another client's", async () => {
  const root = await Deno.makeTempDir({ prefix: "netlab-batch-" });
  try {
    // two cached files of distinct bytes: a byte of b.bin in a.bin's answers is a crossed batch
    await Deno.writeFile(`${root}/a.bin`, new Uint8Array(100 * 1024).fill(1));
    await Deno.writeFile(`${root}/b.bin`, new Uint8Array(100 * 1024).fill(2));
    await using s = startHttp1({ root, port: 0, accessLog: false });
    const base = `http://127.0.0.1:${s.addr.port}`;
    for (const f of ["a", "b"]) await (await fetch(`${base}/${f}.bin`)).arrayBuffer();
    const n = 200;
    const get = (f: string, last: boolean) =>
      `GET /${f}.bin HTTP/1.1\r\nHost: a\r\n${last ? "Connection: close\r\n" : ""}\r\n`;
    using stalled = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
    await writeAll(stalled, enc.encode(get("a", false).repeat(n - 1) + get("a", true)));
    await until(() => s.requests > 2, "the stalled client's requests parsed");
    // while the stalled client's answers wait, another client's fill the shared batch
    using other = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
    await writeAll(other, enc.encode(get("b", false).repeat(3) + get("b", true)));
    assert.equal(count(dec.decode(await readToEnd(other)), "200"), 4);
    const bytes = await readToEnd(stalled);
    assert.equal(count(dec.decode(bytes), "200"), n);
    assert.equal(bytes.indexOf(2), -1, "no byte of b.bin among a.bin's answers");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
