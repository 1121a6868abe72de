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

// in a process of its own: the check names the epoll set by its number, which another test
// module's loop may take as soon as it is closed
Deno.test({
  name: "startHttp1() shutdown() returns one promise, resolved once the loop is closed",
  ignore: Deno.build.os !== "linux", // reads /proc/self/fd
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_shutdown_fd.ts", import.meta.url).pathname],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  },
});
