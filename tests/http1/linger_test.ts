/**
 * Answers given while input is left unread reach the client: the engine shuts its write side and
 * reads and drops what still comes (a lingering close) instead of closing a socket with unread
 * input, which resets it and destroys the answer. The four cases nginx, h2o and caddy answer.
 * Also the server's stop: one promise, resolved once the loop is closed.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { makeFixture } from "../http/_cases.ts";
import { readToEnd, splitReplies, writeAll } from "./_wire.ts";
import { lingerCases } from "./_linger_cases.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** Writes `request` (the write may fail once the server closes) and reads every answer. */
async function exchangeBig(port: number, request: Uint8Array): Promise<number[]> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const writing = writeAll(conn, request).catch(() => {});
  const text = dec.decode(await readToEnd(conn));
  await writing;
  return splitReplies(text).map((r) => r.status);
}

Deno.test("startHttp1() answers with unread input waiting instead of resetting", async () => {
  await using fixture = await makeFixture();
  const s = startHttp1({ root: fixture.root, port: 0, accessLog: false });
  try {
    const port = s.addr.port;
    // cached first: the fast path answers the last case
    await (await fetch(`http://127.0.0.1:${port}/hello.txt`)).arrayBuffer();
    for (const [what, request, status] of lingerCases()) {
      assert.deepEqual(await exchangeBig(port, enc.encode(request)), [status], what);
    }
  } finally {
    await s.shutdown();
  }
});

Deno.test("startHttp1() shutdown() returns one promise, resolved once the loop is closed", async () => {
  await using fixture = await makeFixture();
  const s = startHttp1({ root: fixture.root, port: 0, accessLog: false });
  // idle keep-alive connections: each closes during the stop, and the last one ends the loop
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < 3; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.addr.port });
    await writeAll(conn, enc.encode("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"));
    await conn.read(new Uint8Array(4096));
    conns.push(conn);
  }
  const first = s.shutdown();
  const second = s.shutdown();
  assert.equal(first, second);
  assert.equal(first, s.finished);
  await first;
  // the epoll set is closed by then (its descriptor no longer an eventpoll)
  let link = "";
  try {
    link = Deno.readLinkSync(`/proc/self/fd/${s.loopFd}`);
  } catch {
    // closed
  }
  assert.ok(!link.includes("eventpoll"), `the loop's ${link} is still open`);
  for (const conn of conns) conn.close();
});
