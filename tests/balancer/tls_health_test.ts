/**
 * `--health-check` over `--backend-tls`: the check speaks the backends' TLS (OpenSSL on the
 * balancer's loop), verified against `--cacert` or not at all with `--insecure`; a backend whose
 * certificate is not trusted, or that never finishes its handshake, fails its checks and goes
 * down. Counted (handshakes, failed checks, states), never timed.
 */
import assert from "node:assert/strict";
import { type Balancer, startBalancer } from "../../lib/balancer/balancer.ts";
import type { TlsClientOptions } from "../../lib/tls/client.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { needs } from "../_tools.ts";
import { makePki, type TestPki } from "../tls/_certs.ts";

/** A `serve --cert` backend and an http-mode balancer checking it every 50 ms. */
async function setup(pki: TestPki, backendTls: TlsClientOptions, port?: number) {
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const tls = { identities: [{ cert: leaf.cert, key: leaf.key }] };
  const backend = startHttp1({ root: await defaultRoot(), port: 0, accessLog: false, tls });
  const lb = await startBalancer({
    backends: [{ host: "127.0.0.1", port: port ?? backend.addr.port, weight: 1 }],
    port: 0,
    mode: "http",
    engine: "epoll",
    healthIntervalMs: 50,
    healthCheck: "GET /page.html",
    connectTimeoutMs: 500,
    backendTls,
  });
  return {
    lb,
    backend,
    async [Symbol.asyncDispose]() {
      await lb.stop(0);
      await backend.shutdown();
    },
  };
}

/** Waits (bounded in rounds, not in time asserted) until `ok()` holds. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), what);
}

const failures = (lb: Balancer) => lb.backends[0]!.failures;

for (const [name, trust] of [["--insecure", "insecure"], ["--cacert", "cacert"]] as const) {
  Deno.test(
    ...needs(["openssl"], `Balancer health checks a --backend-tls backend over TLS (${name})`),
    async () => {
      await using pki = await makePki();
      const backendTls = trust === "insecure" ? { insecure: true } : { caCerts: [pki.ca] };
      await using s = await setup(pki, backendTls);
      // three checks, each a TLS handshake with the backend and a good answer
      await until("three checks over TLS", () => s.backend.tls!.handshakes >= 3);
      assert.equal(failures(s.lb), 0);
      assert.equal(s.lb.backends[0]!.state, "up");
    },
  );
}

Deno.test(
  ...needs(
    ["openssl"],
    "Balancer health checks take down a --backend-tls backend whose certificate is not trusted",
  ),
  async () => {
    await using pki = await makePki();
    // verified against the system's store only: the test CA is not in it
    await using s = await setup(pki, { caCerts: [] });
    await until("the backend marked down", () => s.lb.backends[0]!.state === "down");
    assert.ok(failures(s.lb) >= 3);
    assert.equal(s.backend.tls!.handshakes, 0, "no handshake got through");
  },
);

Deno.test(
  ...needs(
    ["openssl"],
    "Balancer health checks over TLS time out a backend that never finishes the handshake",
  ),
  async () => {
    await using pki = await makePki();
    // accepts and never says a word
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of silent) held.push(c);
    })();
    try {
      await using s = await setup(pki, { insecure: true }, silent.addr.port);
      await until("the silent backend marked down", () => s.lb.backends[0]!.state === "down");
      assert.ok(failures(s.lb) >= 3);
    } finally {
      silent.close();
      await accepting.catch(() => {});
      for (const c of held) c.close();
    }
  },
);
