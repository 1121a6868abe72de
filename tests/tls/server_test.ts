/**
 * HTTPS on the epoll engine, with real handshakes: curl, openssl s_client and Deno's own TLS
 * client against `startHttp1({ tls })`, and hostile bytes where a ClientHello should be.
 */
import assert from "node:assert/strict";
import { startHttp1 } from "../../lib/server/epoll.ts";
import type { TlsIdentity } from "../../lib/tls/server.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { needs } from "../_tools.ts";
import { type Leaf, makePki, openTcpSockets, run } from "./_certs.ts";
import { readToEnd, writeAll } from "../http1/_wire.ts";
import { soak } from "./_soak.ts";
import { tlsUnavailable } from "../../lib/tls/_ssl.ts";

const id = (leaf: Leaf): TlsIdentity => ({ cert: leaf.cert, key: leaf.key });

async function https(identities: TlsIdentity[], more: { headerTimeout?: number } = {}) {
  const s = startHttp1({
    root: await defaultRoot(),
    port: 0,
    accessLog: false,
    tls: { identities },
    ...more,
  });
  return {
    server: s,
    port: s.addr.port,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
    },
  };
}

Deno.test(
  ...needs(["openssl", "curl"], "startHttp1({ tls }) serves page.html to curl over HTTP/1.1"),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    await using s = await https([id(leaf)]);
    assert.match(s.server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(s.server.label, /^epoll, OpenSSL 3\./);
    const url = `https://127.0.0.1:${s.port}/page.html`;
    // two requests on one connection: keep-alive over TLS
    const r = await run("curl", [
      "-s",
      "--http1.1",
      "--cacert",
      pki.caFile,
      "-o",
      "/dev/null",
      "-o",
      "/dev/null",
      "-w",
      "%{http_version} %{http_code} %{num_connects}\n",
      url,
      url,
    ]);
    assert.equal(r.out, "1.1 200 1\n1.1 200 0\n", r.err);
    assert.equal(s.server.tls!.handshakes, 1);
  },
);

Deno.test(
  ...needs(
    ["openssl"],
    "startHttp1({ tls }) speaks TLS 1.2 and 1.3 with ALPN http/1.1, RSA and ECDSA",
  ),
  async () => {
    await using pki = await makePki();
    for (const kind of ["ec", "rsa"] as const) {
      const leaf = await pki.leaf(["localhost"], kind);
      await using s = await https([id(leaf)]);
      for (const version of ["-tls1_2", "-tls1_3"]) {
        const r = await run("openssl", [
          "s_client",
          "-connect",
          `127.0.0.1:${s.port}`,
          "-servername",
          "localhost",
          version,
          "-alpn",
          "h2,http/1.1",
          "-CAfile",
          pki.caFile,
          "-verify_return_error",
          "-ign_eof",
        ], "GET /page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert.equal(r.code, 0, `${kind} ${version}: ${r.err}`);
        assert.match(r.out, /ALPN protocol: http\/1\.1/, `${kind} ${version}`);
        assert.match(r.out, /HTTP\/1\.1 200 OK/, `${kind} ${version}`);
        assert.match(r.out, version === "-tls1_2" ? /TLSv1\.2/ : /TLSv1\.3/);
      }
    }
  },
);

Deno.test(
  ...needs(["openssl"], "startHttp1({ tls }) picks the certificate by SNI name"),
  async () => {
    await using pki = await makePki();
    const a = await pki.leaf(["a.test"]);
    const b = await pki.leaf(["b.test", "*.b.test"], "rsa");
    await using s = await https([id(a), id(b)]);
    const subject = async (name: string) => {
      const r = await run("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${s.port}`,
        "-servername",
        name,
        "-CAfile",
        pki.caFile,
      ]);
      return /subject=CN ?= ?(\S+)/.exec(r.out)?.[1];
    };
    assert.equal(await subject("a.test"), "a.test");
    assert.equal(await subject("b.test"), "b.test");
    assert.equal(await subject("x.b.test"), "b.test");
    assert.equal(await subject("other.test"), "a.test", "the first is the default");
  },
);

Deno.test(
  ...needs(["openssl"], "startHttp1({ tls }) resumes sessions from its tickets"),
  async () => {
    await using pki = await makePki();
    await using s = await https([id(await pki.leaf(["localhost"]))]);
    // TLS 1.3 tickets come after the handshake: each connection asks for a page and reads it
    // all, saving the session to a file (s_client's -reconnect leaves before they arrive)
    const sess = `${pki.dir}/session.pem`;
    for (const version of ["-tls1_2", "-tls1_3"]) {
      const lines: string[] = [];
      for (const io of ["-sess_out", "-sess_in"]) {
        const r = await run("openssl", [
          "s_client",
          "-connect",
          `127.0.0.1:${s.port}`,
          version,
          io,
          sess,
          "-ign_eof",
          "-CAfile",
          pki.caFile,
        ], "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        lines.push(/^(New|Reused), /m.exec(r.out)?.[1] ?? r.out);
      }
      assert.deepEqual(lines, ["New", "Reused"], version);
    }
    assert.ok(s.server.tls!.resumed >= 2, `resumed ${s.server.tls!.resumed}`);
  },
);

/** Well under the header timeout: a connection still open by then was not closed for its bytes. */
const GUARD_MS = 10_000;

/** Connects, writes `bytes`, half-closes or not, and reads until the server closes. */
async function hostile(port: number, bytes: Uint8Array, fin: boolean): Promise<Uint8Array> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, bytes);
  if (fin) await conn.closeWrite();
  return await readToEnd(conn, GUARD_MS);
}

Deno.test(
  ...needs(
    ["openssl"],
    "startHttp1({ tls }) closes a connection that sends garbage or a truncated record, and only it",
  ),
  async () => {
    await using pki = await makePki();
    // nginx's 60 s header timeout: each of these must be closed for what it sent, not timed out
    await using s = await https([id(await pki.leaf(["localhost", "127.0.0.1"]))]);
    using bystander = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: s.port,
      caCerts: [pki.ca],
    });
    await bystander.handshake();
    const ask = async () => {
      await writeAll(
        bystander,
        new TextEncoder().encode("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"),
      );
      const buf = new Uint8Array(4096);
      const n = await bystander.read(buf);
      return new TextDecoder().decode(buf.subarray(0, n ?? 0));
    };
    // asked once, it waits out the keep-alive timeout, not the header timeout
    assert.match(await ask(), /^HTTP\/1\.1 404/);
    // counted by the server's port: test files running in parallel share this process
    const sockets = openTcpSockets(s.port, "either");
    // plain HTTP to an HTTPS port, then random bytes
    await hostile(s.port, new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false);
    await hostile(s.port, crypto.getRandomValues(new Uint8Array(4096)), false);
    // a handshake record header promising 512 bytes, then 10 of them and the FIN
    await hostile(s.port, new Uint8Array([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3, 0, 0, 0, 0]), true);
    // a record too long for any handshake message
    await hostile(s.port, new Uint8Array([22, 3, 1, 0xff, 0xff, 1, 0, 0xff, 0xfb]), false);
    const tls = s.server.tls!;
    assert.equal(tls.failed, 4);
    assert.match(await ask(), /^HTTP\/1\.1 404/, "the bystander still works");
    assert.equal(tls.connections, 1, "only the bystander's SSL is alive");
    assert.equal(openTcpSockets(s.port, "either"), sockets, "sockets back to where they were");
  },
);

Deno.test(
  ...needs(["openssl"], "startHttp1({ tls }) times out a handshake that stalls halfway"),
  async () => {
    await using pki = await makePki();
    await using s = await https([id(await pki.leaf(["localhost"]))], { headerTimeout: 1 });
    // the start of a ClientHello, then nothing
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await writeAll(conn, new Uint8Array([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]));
    assert.equal((await readToEnd(conn)).length, 0, "closed without a byte");
    const tls = s.server.tls!;
    assert.equal(tls.connections, 0);
    assert.equal(tls.handshakes, 0);
  },
);

Deno.test(
  ...needs(
    ["openssl", "ab"],
    "startHttp1({ tls }) frees every SSL and descriptor after 300 handshakes",
  ),
  () => soak(300),
);

Deno.test("tlsUnavailable() names the OpenSSL library that is missing", () => {
  assert.equal(tlsUnavailable(), undefined);
  assert.equal(
    tlsUnavailable({ libssl: "libssl-netlab-missing.so.3", libcrypto: "libcrypto.so.3" }),
    "libssl-netlab-missing.so.3 (OpenSSL 3) is not installed",
  );
});

Deno.test(
  ...needs(
    ["openssl", "curl"],
    "startHttp1({ tls }) sends a large file whole and reads a large body, on one connection",
  ),
  async () => {
    await using pki = await makePki();
    await using s = await https([id(await pki.leaf(["localhost", "127.0.0.1"]))]);
    const root = await defaultRoot();
    const jpg = await Deno.readFile(`${root}/research_center.jpg`);
    const upload = `${pki.dir}/upload.bin`;
    await Deno.writeFile(upload, crypto.getRandomValues(new Uint8Array(60_000)));
    const base = `https://127.0.0.1:${s.port}`;
    // a POST with a 60 KB body (skipped by the server, read through OpenSSL record by record),
    // then, on the same connection, a 220 KB file (streamed through SSL_write) and a small page
    const r = await run("curl", [
      "-s",
      "--http1.1",
      "--cacert",
      pki.caFile,
      "-w",
      "%{http_code} %{size_download} %{num_connects}\n",
      "-o",
      "/dev/null",
      "--data-binary",
      `@${upload}`,
      `${base}/page.html`,
      "--next",
      "--cacert",
      pki.caFile,
      "-w",
      "%{http_code} %{size_download} %{num_connects}\n",
      "-o",
      `${pki.dir}/got.jpg`,
      `${base}/research_center.jpg`,
      "--next",
      "--cacert",
      pki.caFile,
      "-w",
      "%{http_code} %{size_download} %{num_connects}\n",
      "-o",
      "/dev/null",
      `${base}/page.html`,
    ]);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, 3, r.out + r.err);
    assert.match(lines[0]!, /^405 \d+ 1$/);
    assert.equal(lines[1], `200 ${jpg.length} 0`);
    assert.match(lines[2]!, /^200 2067 0$/);
    assert.deepEqual(await Deno.readFile(`${pki.dir}/got.jpg`), jpg);
    assert.equal(s.server.tls!.handshakes, 1);
  },
);

Deno.test(
  ...needs(
    ["openssl"],
    "startHttp1({ tls }) answers 400 pipelined requests, handler ones among them, in order",
  ),
  async () => {
    await using pki = await makePki();
    await using s = await https([id(await pki.leaf(["localhost", "127.0.0.1"]))]);
    const paths = ["/page.html", "/missing", "/style.css", "/"];
    let text = "";
    const want: string[] = [];
    // ~40 KB: more than one read-ahead buffer, so reads resume after each handler's pause with
    // bytes still in the socket
    for (let i = 0; i < 400; i++) {
      const path = paths[i % paths.length]!;
      want.push(path === "/missing" ? "404" : "200");
      const last = i === 399 ? "Connection: close\r\n" : "";
      text += `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(48)}\r\n${last}\r\n`;
    }
    using conn = await Deno.connectTls({ hostname: "127.0.0.1", port: s.port, caCerts: [pki.ca] });
    await writeAll(conn, new TextEncoder().encode(text));
    const got = new TextDecoder().decode(await readToEnd(conn, GUARD_MS));
    const statuses = [...got.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => m[1]);
    assert.deepEqual(statuses, want);
  },
);
