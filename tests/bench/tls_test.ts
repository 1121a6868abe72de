import assert from "node:assert/strict";
import { bench } from "../../lib/bench/run.ts";
import { makeCert } from "../server/_cert.ts";
import { needs } from "../_tools.ts";
import { netlab } from "../_netlab.ts";

/** A TLS server with a fresh self-signed certificate, which no client trusts. */
async function selfSignedServer(): Promise<Deno.TlsListener & { port: number } & AsyncDisposable> {
  const cert = await makeCert();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.cert,
    key: cert.key,
  });
  return Object.assign(listener, {
    port: (listener.addr as Deno.NetAddr).port,
    [Symbol.asyncDispose]: () => cert[Symbol.asyncDispose](),
  });
}

/**
 * Accepts every connection and drives its handshake, so a client sees the certificate and
 * fails on it. `stop()` closes the listener, waits for the accept loop and closes what it took.
 */
function handshakeAll(server: Deno.TlsListener): { stop(): Promise<void> } {
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of server) {
        accepted.push(conn);
        (conn as Deno.TlsConn).handshake().catch(() => {});
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  })();
  return {
    async stop() {
      server.close();
      await accepting;
      for (const c of accepted) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

for (const engine of ["fetch", "raw"] as const) {
  Deno.test(
    ...needs(
      ["openssl"],
      `bench() [${engine}] counts an untrusted certificate as a Connect failure, not as a handshake`,
    ),
    async () => {
      await using server = await selfSignedServer();
      const handshakes = handshakeAll(server);
      try {
        const r = await bench({ url: `https://127.0.0.1:${server.port}/`, requests: 2, engine });
        assert.equal(r.complete, 0);
        assert.equal(r.failures.connect, 2, JSON.stringify(r.errors));
        // a handshake that failed is no handshake made: none in the tls line's count or times
        assert.equal(r.tls, undefined, JSON.stringify(r.tls));
      } finally {
        await handshakes.stop();
      }
    },
  );
}

Deno.test(
  ...needs(
    ["openssl"],
    "bench() names a nested certificate error whole, the same for both engines",
  ),
  async () => {
    // openssl's plain self-signed certificate is a CA (basicConstraints CA:TRUE), which rustls
    // rejects as "Other(OtherError(CaUsedAsEndEntity))": parentheses inside the cause.
    const dir = await Deno.makeTempDir({ prefix: "netlab-ca-cert-" });
    try {
      const [cert, key] = [`${dir}/cert.pem`, `${dir}/key.pem`];
      const made = await new Deno.Command("openssl", {
        args: [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
          ...["-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(made.success);
      using server = Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(cert),
        key: await Deno.readTextFile(key),
      });
      const handshakes = handshakeAll(server);
      const causes: string[][] = [];
      try {
        for (const engine of ["raw", "fetch"] as const) {
          const url = `https://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`;
          // raw on Deno's sockets: rustls's nested causes (OpenSSL's on the loop read plainer)
          const r = await bench({ url, requests: 1, engine, sockets: "deno" });
          assert.equal(r.failures.connect, 1, JSON.stringify(r.errors));
          causes.push(Object.keys(r.errors));
        }
      } finally {
        await handshakes.stop();
      }
      const [raw, fetch] = causes;
      assert.match(raw![0]!, /^invalid peer certificate: .*\(.*\)$/);
      assert.deepEqual(fetch, raw);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("bench() [raw] ends a TLS handshake the server never answers at the timeout (-s)", async () => {
  // A plain TCP listener: it accepts and never speaks TLS, so the handshake waits forever.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) accepted.push(conn);
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await bench({
      url: `https://127.0.0.1:${port}/`,
      requests: 3,
      timeoutSeconds: 0.2,
      engine: "raw",
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.failures.exceptions, 1, JSON.stringify(r.errors));
  } finally {
    listener.close();
    await accepting;
    for (const c of accepted) c.close();
  }
});

for (const engine of ["fetch", "raw"] as const) {
  Deno.test(
    ...needs(
      ["openssl"],
      `netlab bench [${engine}] --cacert and --insecure reach a self-signed server`,
    ),
    async () => {
      await using cert = await makeCert();
      await using server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, cert: cert.cert, key: cert.key, onListen() {} },
        () => new Response("hello"),
      );
      const url = `https://localhost:${server.addr.port}/`;
      const plain = await netlab(["bench", "-n", "2", "--engine", engine, url]);
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /invalid peer certificate/);
      const trusted = await netlab([
        "bench",
        "-n",
        "2",
        "--engine",
        engine,
        "--cacert",
        cert.certFile,
        url,
      ]);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.match(trusted.stdout, /^Complete requests:\s+2$/m);
      const insecure = await netlab(["bench", "-n", "2", "--engine", engine, "--insecure", url]);
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.match(insecure.stdout, /^Complete requests:\s+2$/m);
    },
  );
}
