/**
 * TLS termination on the balancer's epoll engines against clients that do not finish their
 * handshake: garbage instead of a ClientHello, a client that stops mid-handshake, and many
 * handshakes leaving no descriptor behind. Counted, never timed.
 */
import assert from "node:assert/strict";
import { type Balancer, startBalancer } from "../../lib/balancer/balancer.ts";
import type { BalanceMode } from "../../lib/balancer/options.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { needs } from "../_tools.ts";
import { makePki, openTcpSockets, type TestPki } from "../tls/_certs.ts";

const MODES: BalanceMode[] = ["tcp", "http"];

/** A plain epoll server and a TLS-terminating balancer in front of it. */
async function setup(pki: TestPki, mode: BalanceMode, requestTimeoutMs = 300) {
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const backend = startHttp1({ root: await defaultRoot(), port: 0, accessLog: false });
  const lb = await startBalancer({
    backends: [{ host: "127.0.0.1", port: backend.addr.port, weight: 1 }],
    port: 0,
    mode,
    engine: "epoll",
    healthIntervalMs: 0,
    // one pooled connection in http mode: sockets can be counted exactly
    backendConns: 1,
    // the handshake's deadline
    requestTimeoutMs,
    tls: { identities: [{ cert: leaf.cert, key: leaf.key }] },
  });
  return {
    lb,
    backendPort: backend.addr.port,
    async [Symbol.asyncDispose]() {
      await lb.stop(0);
      await backend.shutdown();
    },
  };
}

/** One HTTPS request on a new connection: the status line. */
async function get(lb: Balancer, ca: string): Promise<string> {
  const conn = await Deno.connectTls({ hostname: "localhost", port: lb.addr.port, caCerts: [ca] });
  try {
    await conn.write(
      new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const text = await new Response(conn.readable).text();
    return text.split("\r\n")[0]!;
  } catch (err) {
    conn.close();
    throw err;
  }
}

/**
 * Reads until the peer closes (or resets): what came. A peer that never closes fails the test
 * after a long guard (a bound on a hang, not a timed assertion).
 */
async function readToEnd(conn: Deno.Conn): Promise<number> {
  const buf = new Uint8Array(4096);
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the balancer never closed the connection")), 20_000);
  });
  try {
    while (true) {
      const n = await Promise.race([conn.read(buf).catch(() => null), guard]);
      if (n === null) return total;
      total += n;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (bounded in rounds, not in time asserted) until `ok()` holds. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), what);
}

for (const mode of MODES) {
  Deno.test(
    ...needs(
      ["openssl"],
      `Balancer with tls closes a client that sends garbage instead of a ClientHello, and only it (${mode} mode)`,
    ),
    async () => {
      await using pki = await makePki();
      // a handshake deadline far off: only the failed handshake closes the connection
      await using s = await setup(pki, mode, 60_000);
      const good = await Deno.connectTls({
        hostname: "localhost",
        port: s.lb.addr.port,
        caCerts: [pki.ca],
      });
      await good.handshake();
      // a plain HTTP request where a ClientHello belongs
      const bad = await Deno.connect({ hostname: "127.0.0.1", port: s.lb.addr.port });
      await bad.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      assert.equal(await readToEnd(bad), 0, "no byte answers garbage");
      bad.close();
      // the other connection goes on, and new ones are served
      await good.write(
        new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      const text = await new Response(good.readable).text();
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.equal(await get(s.lb, pki.ca), "HTTP/1.1 200 OK");
      await until("every connection closed", () => s.lb.stats().active === 0);
    },
  );

  Deno.test(
    ...needs(
      ["openssl"],
      `Balancer with tls times out a client that stops mid-handshake (${mode} mode)`,
    ),
    async () => {
      await using pki = await makePki();
      // a deadline a busy machine cannot run out for the good handshake at the end
      await using s = await setup(pki, mode, 1000);
      // the first bytes of a ClientHello record, then nothing
      const stalled = await Deno.connect({ hostname: "127.0.0.1", port: s.lb.addr.port });
      await stalled.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
      const silent = await Deno.connect({ hostname: "127.0.0.1", port: s.lb.addr.port });
      await until("both connections taken", () => s.lb.stats().active === 2);
      // both are closed by the balancer (the read ends), with nothing sent
      assert.equal(await readToEnd(stalled), 0);
      assert.equal(await readToEnd(silent), 0);
      stalled.close();
      silent.close();
      await until("every connection closed", () => s.lb.stats().active === 0);
      assert.equal(await get(s.lb, pki.ca), "HTTP/1.1 200 OK");
    },
  );

  Deno.test(
    ...needs(
      ["openssl"],
      `Balancer with tls leaves TCP sockets and SSL objects at their starting counts after 200 handshakes (${mode} mode)`,
    ),
    async () => {
      await using pki = await makePki();
      // a handshake deadline far off: 10 handshakes at once on a busy machine are not cut
      await using s = await setup(pki, mode, 60_000);
      assert.equal(await get(s.lb, pki.ca), "HTTP/1.1 200 OK"); // warm: the pool, the loop
      await until("warm-up closed", () => s.lb.stats().active === 0);
      // TCP sockets on the balancer's and the backend's ports, not every descriptor: Deno opens
      // and closes its own meanwhile, and test files running in parallel share this process
      const sockets = () =>
        openTcpSockets(s.lb.addr.port, "either") + openTcpSockets(s.backendPort, "either");
      const before = sockets();
      for (let i = 0; i < 200; i += 10) {
        const batch = Array.from({ length: 10 }, () => get(s.lb, pki.ca));
        for (const status of await Promise.all(batch)) assert.equal(status, "HTTP/1.1 200 OK");
      }
      await until("every connection closed", () => s.lb.stats().active === 0);
      // (at most: the pooled backend connection may have been closed and not yet made again)
      await until(`TCP sockets back to ${before}`, () => sockets() <= before);
      assert.equal(s.lb.stats().total, 201);
      // and every SSL object made was freed
      const tls = s.lb.tlsCounters!;
      assert.equal(tls.connections, 0);
      assert.equal(tls.made, 201);
      assert.equal(tls.freed, 201);
      assert.equal(tls.handshakes, 201);
    },
  );
}
