/**
 * Over TLS as over plain TCP, an answer given while input is left unread reaches the client: the
 * server sends close_notify, shuts its write side and reads and drops what still comes (a
 * lingering close) instead of closing a socket with unread input, which resets it and destroys
 * the answer. The cases of tests/http1/linger_test.ts, through OpenSSL on the epoll engine, and
 * one that sees the linger itself: bytes sent after the answer are dropped, not reset.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { ASYNC_LOOP_OPTIONS, encodeSockAddr, EventLoop } from "../../lib/loop/mod.ts";
import { AsyncTlsSocket, TlsClientContext } from "../../lib/tls/mod.ts";
import { makeFixture } from "../http/_cases.ts";
import { readToEnd, splitReplies } from "../http1/_wire.ts";
import { lingerCases } from "../http1/_linger_cases.ts";
import { needs } from "../_tools.ts";
import { makePki, type TestPki } from "./_certs.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** The epoll server over TLS with a certificate for 127.0.0.1 from `pki`. */
async function httpsServer(root: string, pki: TestPki) {
  const leaf = await pki.leaf(["127.0.0.1"]);
  return startHttp1({
    root,
    port: 0,
    accessLog: false,
    tls: { identities: [{ cert: leaf.cert, key: leaf.key }] },
  });
}

/** Writes `request` over TLS (the write may fail once the server closes) and reads every answer. */
async function exchangeTls(port: number, ca: string, request: Uint8Array): Promise<number[]> {
  using conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca] });
  const writing = (async () => {
    let off = 0;
    while (off < request.length) off += await conn.write(request.subarray(off));
  })().catch(() => {});
  const text = dec.decode(await readToEnd(conn));
  await writing;
  return splitReplies(text).map((r) => r.status);
}

Deno.test(
  ...needs(
    ["openssl"],
    "startHttp1({ tls }) answers with unread input waiting instead of resetting",
  ),
  async () => {
    await using fixture = await makeFixture();
    await using pki = await makePki();
    const s = await httpsServer(fixture.root, pki);
    try {
      const port = s.addr.port;
      for (const [what, request, status] of lingerCases()) {
        assert.deepEqual(await exchangeTls(port, pki.ca, enc.encode(request)), [status], what);
      }
    } finally {
      await s.shutdown();
    }
    // the stop waits for lingering connections; each frees its TLS once
    assert.equal(s.tls!.connections, 0, "every TLS connection freed");
    assert.equal(s.tls!.made, s.tls!.freed);
  },
);

Deno.test(
  ...needs(["openssl"], "startHttp1({ tls }) lingers after an answer given with input unread"),
  async () => {
    await using fixture = await makeFixture();
    await using pki = await makePki();
    const s = await httpsServer(fixture.root, pki);
    const loop = new EventLoop(ASYNC_LOOP_OPTIONS);
    const ctx = new TlsClientContext({ caCerts: [pki.ca] });
    try {
      const addr = encodeSockAddr("127.0.0.1", s.addr.port);
      const sock = await AsyncTlsSocket.connect(loop, ctx, addr, "127.0.0.1");
      await sock.handshake();
      // more head than the server reads: it answers 431 with the rest unread
      const request = enc.encode(
        `GET /hello.txt HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`,
      );
      for (let off = 0; off < request.length;) off += await sock.write(request.subarray(off));
      const parts: string[] = [];
      const buf = new Uint8Array(16384);
      for (let n; (n = await sock.read(buf)) !== null;) parts.push(dec.decode(buf.subarray(0, n)));
      assert.deepEqual(splitReplies(parts.join("")).map((r) => r.status), [431]);
      // the answer ended with close_notify; the server still reads (and drops): a closed socket
      // would have answered the unread input with a reset, and this write would fail
      const more = new Uint8Array(1024);
      for (let i = 0; i < 4; i++) assert.ok(await sock.write(more) > 0, `write ${i + 1}`);
      sock.close();
    } finally {
      ctx.close();
      await loop.stop();
      await s.shutdown();
    }
  },
);
