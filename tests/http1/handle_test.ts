import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { EventLoop, TcpListener } from "../../lib/loop/mod.ts";
import { FileSender } from "../../lib/loop/sendfile.ts";
import { Gather } from "../../lib/loop/writev.ts";
import { createEnv } from "../../lib/http1/_env.ts";
import { Http1Connection, type Http1Shared, type Served } from "../../lib/http1/connection.ts";
import { TlsConn } from "../../lib/http1/_tls_conn.ts";
import { TlsServerContext } from "../../lib/tls/server.ts";
import { makeCert } from "../server/_cert.ts";
import { needs } from "../_tools.ts";
import { assertFdClosed, fdLink } from "../loop/_fixtures.ts";

const linux = Deno.build.os === "linux";

/** A loop, one accepted socket (its client kept open) and what a connection shares. */
async function accepted(loop: EventLoop) {
  const fd = Promise.withResolvers<number>();
  const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
    onAccept: (accepted) => fd.resolve(accepted),
  });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const env = createEnv({
    handler: () => new Response("ok"),
    accessLogger: null,
    authority: () => "127.0.0.1",
    logger: getLogger(["netlab", "test"]),
    now: loop.now,
  });
  const closed: Served[] = [];
  const shared: Http1Shared = {
    loop,
    env,
    readBuf: new Uint8Array(16 * 1024),
    files: new FileSender(loop),
    gather: new Gather(loop),
    dateAt: -Infinity,
    onClosed: (conn) => closed.push(conn),
  };
  return { fd: await fd.promise, listener, client, shared, closed };
}

/** Closes `conn`, then checks its fd reads -1 and a late deadline takes no slot and does nothing. */
function closeAndProbe(
  loop: EventLoop,
  conn: Served & { fd: number; setDeadline(at: number): void; onDeadline(): void },
  closed: Served[],
): void {
  assert.equal(conn.watch(), 0);
  conn.setDeadline(loop.now + 60_000);
  assert.ok(loop.deadlines >= 1);
  const watched = loop.watched;
  conn.session.close();
  assert.equal(conn.open, false);
  assert.equal(conn.fd, -1);
  assert.equal(loop.deadlines, 0);
  assert.equal(loop.watched, watched - 1);
  assert.deepEqual(closed, [conn]);
  conn.setDeadline(loop.now + 1); // a late deadline (a session timer after the close)
  assert.equal(loop.deadlines, 0);
  conn.onDeadline(); // and one that had already fired
  conn.session.close();
  assert.deepEqual(closed, [conn]);
  assert.equal(conn.watch() !== 0, true);
}

Deno.test({
  name: "Http1Connection.close() leaves fd -1; a late deadline after it does nothing (Linux)",
  ignore: !linux,
  async fn() {
    const loop = new EventLoop({ tickMs: 20 });
    const { fd, listener, client, shared, closed } = await accepted(loop);
    const conn = new Http1Connection(shared, fd, "-");
    assert.equal(conn.fd, fd);
    const before = fdLink(fd);
    closeAndProbe(loop, conn, closed);
    assertFdClosed(fd, before);
    client.close();
    listener.close();
    await loop.stop();
  },
});

const tlsName = "TlsConn.close() leaves fd -1; a late deadline after it does nothing (Linux)";
const [tlsTest, { ignore: noOpenssl }] = needs(["openssl"], tlsName);
Deno.test({
  name: tlsTest,
  ignore: !linux || noOpenssl,
  async fn() {
    await using cert = await makeCert();
    const tls = new TlsServerContext({ identities: [{ cert: cert.cert, key: cert.key }] });
    const loop = new EventLoop({ tickMs: 20 });
    const { fd, listener, client, shared, closed } = await accepted(loop);
    const stream = tls.accept(fd);
    assert.ok(stream !== null);
    const conn = new TlsConn(
      {
        loop,
        env: shared.env,
        readBuf: shared.readBuf,
        tick: () => {},
        closed: (c) => closed.push(c),
        handshakeFailed: () => {},
      },
      fd,
      stream,
      "-",
    );
    assert.equal(conn.fd, fd);
    const before = fdLink(fd);
    closeAndProbe(loop, conn, closed);
    assert.equal(stream.ssl, null);
    assertFdClosed(fd, before);
    client.close();
    listener.close();
    tls.close();
    await loop.stop();
  },
});
