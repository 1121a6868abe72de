/**
 * `bench --engine raw` over https on the loop (lib/tls's client): certificates checked against a
 * given CA, refused without it, not checked with `insecure`, sessions resumed across the run's
 * connections, and nothing left open.
 */
import assert from "node:assert/strict";
import { bench } from "../../lib/bench/run.ts";
import { renderAb } from "../../lib/bench/render/ab.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { needs } from "../_tools.ts";
import { makePki, openTcpSockets } from "./_certs.ts";

async function https() {
  const pki = await makePki();
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const s = startHttp1({
    root: await defaultRoot(),
    port: 0,
    accessLog: false,
    tls: { identities: [{ cert: leaf.cert, key: leaf.key }] },
  });
  return {
    pki,
    server: s,
    url: `https://127.0.0.1:${s.addr.port}/page.html`,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
      await pki[Symbol.asyncDispose]();
    },
  };
}

const base = { engine: "raw", threads: 1, concurrency: 4 } as const;

Deno.test(
  ...needs(["openssl"], "bench() raw over https resumes sessions across its new connections"),
  async () => {
    await using s = await https();
    const r = await bench({ ...base, url: s.url, requests: 60, caCerts: [s.pki.ca] });
    assert.equal(r.complete, 60);
    assert.equal(r.failed, 0);
    assert.equal(r.documentLength, (await Deno.stat(`${await defaultRoot()}/page.html`)).size);
    const tls = s.server.tls!;
    assert.equal(tls.handshakes, 60, "a new connection per request");
    // the first connections start before any session is kept; the rest resume one
    assert.ok(tls.resumed >= 50, `resumed ${tls.resumed} of 60`);
    // every client socket closed: counted by the server's port, since test files running in
    // parallel share this process's descriptors
    const port = s.server.addr.port;
    for (let i = 0; i < 3000 && openTcpSockets(port) > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(openTcpSockets(port), 0, "every client socket closed");
  },
);

Deno.test(
  ...needs(
    ["openssl"],
    "bench() raw over https reports its handshakes, counted as the server counts them",
  ),
  async () => {
    await using s = await https();
    const r = await bench({ ...base, threads: 2, url: s.url, requests: 60, caCerts: [s.pki.ca] });
    assert.equal(r.complete, 60);
    const server = s.server.tls!;
    assert.ok(r.tls, "a tls field");
    assert.equal(r.tls.handshakes, server.handshakes);
    assert.equal(r.tls.resumed, server.resumed, "each side saw the same resumptions");
    assert.ok(r.tls.resumed! >= 50, `resumed ${r.tls.resumed} of 60`);
    assert.equal(r.tls.protocol, "TLSv1.3");
    assert.match(r.tls.cipher ?? "", /^TLS_AES_|^TLS_CHACHA20_/);
    const ms = r.tls.handshakeMs;
    assert.ok(ms.min > 0 && ms.min <= ms.mean && ms.mean <= ms.max);
    // ab's Connect is TCP and TLS: never shorter than the handshake in it
    assert.ok(r.connectionTimes!.connect!.max >= ms.max - 0.001);
    const report = renderAb(r);
    assert.match(report, /^SSL\/TLS Protocol:\s+TLSv1\.3,TLS_/m);
    assert.match(report, new RegExp(`^TLS handshakes: 60 \\(${r.tls.resumed} resumed\\)`, "m"));
  },
);

Deno.test(
  ...needs(["openssl"], "bench() raw over https to a host name runs on OpenSSL, with SNI"),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost"]);
    await using s = startHttp1({
      root: await defaultRoot(),
      port: 0,
      accessLog: false,
      tls: { identities: [{ cert: leaf.cert, key: leaf.key }] },
    });
    const url = `https://localhost:${s.addr.port}/page.html`;
    const r = await bench({ ...base, url, requests: 40, caCerts: [pki.ca] });
    assert.equal(r.complete, 40);
    // Deno's TLS cannot say whether it resumed; OpenSSL's can, and resumes as on an address
    assert.equal(r.tls?.resumed, s.tls!.resumed);
    assert.ok(s.tls!.resumed >= 30, `resumed ${s.tls!.resumed} of 40`);
    assert.equal(r.tls?.protocol, "TLSv1.3");
  },
);

Deno.test(
  ...needs(["openssl"], "bench() raw over https keeps its connections alive"),
  async () => {
    await using s = await https();
    const r = await bench({
      ...base,
      url: s.url,
      requests: 200,
      keepAlive: true,
      caCerts: [s.pki.ca],
    });
    assert.equal(r.complete, 200);
    assert.equal(r.keepAliveRequests, 200);
    assert.equal(s.server.tls!.handshakes, 4);
    assert.equal(r.tls?.handshakes, 4);
  },
);

Deno.test(
  ...needs(
    ["openssl"],
    "bench() raw over https refuses a certificate it cannot verify, unless insecure",
  ),
  async () => {
    await using s = await https();
    const refused = await bench({ ...base, url: s.url, requests: 8 });
    assert.equal(refused.complete, 0);
    assert.equal(refused.failures.connect, 8);
    assert.match(
      JSON.stringify(refused),
      /invalid peer certificate: (self-signed|unable to get local issuer)/,
    );
    const insecure = await bench({ ...base, url: s.url, requests: 8, insecure: true });
    assert.equal(insecure.complete, 8);
  },
);
