/**
 * Run as its own process by linger_test.ts: stops a startHttp1() server with idle keep-alive
 * connections open and fails (exit 1) unless shutdown() returned one promise that resolved with
 * the loop's epoll set closed. An epoll set is told from another only by its number, and in the
 * test runner another module's loop may take that number as soon as it is free: in a process of
 * its own, nothing opens one meanwhile.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { makeFixture } from "../http/_cases.ts";
import { writeAll } from "./_wire.ts";

const enc = new TextEncoder();
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
assert.equal(Deno.readLinkSync(`/proc/self/fd/${s.loopFd}`), "anon_inode:[eventpoll]");
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
