/**
 * Many HTTPS handshakes against `startHttp1({ tls })` from ab (a new connection per request),
 * then the server's OpenSSL objects and descriptors compared with where they started. The test
 * suite runs a few hundred; `deno task soak:tls` runs 10,000 (outside CI).
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { makePki, openTcpSockets, run } from "./_certs.ts";

/** Runs `count` handshakes, `concurrency` at a time, and checks everything came back. */
export async function soak(count: number, concurrency = 8): Promise<void> {
  await using pki = await makePki();
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const s = startHttp1({
    root: await defaultRoot(),
    port: 0,
    accessLog: false,
    tls: { identities: [{ cert: leaf.cert, key: leaf.key }] },
  });
  const tls = s.tls!;
  // counted with the server up: every connection's socket must be closed again. Only the
  // sockets on the server's port: in the test suite, test files running beside this one open
  // and close their own in this process (and Deno keeps socket pairs for child processes)
  const port = s.addr.port;
  const sockets = openTcpSockets(port, "either");
  try {
    const url = `https://127.0.0.1:${s.addr.port}/page.html`;
    const ab = await run("ab", ["-q", "-n", String(count), "-c", String(concurrency), url]);
    assert.equal(ab.code, 0, ab.err);
    assert.match(ab.out, /Failed requests:\s+0\n/, ab.out);
    assert.match(ab.out, new RegExp(`Complete requests:\\s+${count}\\n`), ab.out);
    // ab may be gone before the loop has seen its last FINs
    while (tls.connections > 0) await new Promise((r) => setTimeout(r, 10));
    // ab may open a connection or two more than it needs at the end
    assert.ok(tls.handshakes >= count, `${tls.handshakes} handshakes`);
    assert.equal(tls.freed, tls.made, "every SSL freed");
    assert.equal(openTcpSockets(port, "either"), sockets, "every connection's socket closed");
  } finally {
    await s.shutdown();
  }
  assert.equal(tls.contexts, 0, "every SSL_CTX freed");
  assert.equal(tls.callbacks, 0, "every callback closed");
}
