/**
 * `netlab balance --cert/--key` and `--backend-tls` as a user runs them: curl and openssl
 * s_client through the balancer in both modes, keep-alive on one TLS connection, a `serve --cert`
 * backend behind `--backend-tls`, and certificates or flags that cannot be used refused in one
 * line.
 */
import assert from "node:assert/strict";
import { netlabCommand } from "../_netlab.ts";
import { spawnNetlab } from "../server/_spawn.ts";
import { needs } from "../_tools.ts";
import { makePki, run } from "../tls/_certs.ts";
import { assertChromiumLoads, assertRefusedInOneLine } from "../tls/_checks.ts";

/** A running `netlab balance` and the port from its listening line. */
interface Spawned extends AsyncDisposable {
  port: number;
  line: string;
}

/** Spawns `netlab balance args...` and resolves with its port once it listens. */
async function spawnBalance(args: string[]): Promise<Spawned> {
  const child = netlabCommand({
    args: ["balance", "--port", "0", "--health-interval", "0", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let m: RegExpExecArray | null = null;
  while (m === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before listening: ${text}`);
    text += value;
    m = /listening on \S+:(\d+) \(([^\n]*)\)/.exec(text);
  }
  // keep draining stderr so the child never blocks on a full pipe
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    port: Number(m[1]),
    line: m[0],
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
      await drain.catch(() => {});
    },
  };
}

for (const mode of ["tcp", "http"]) {
  Deno.test(
    ...needs(
      ["openssl", "curl"],
      `netlab balance --cert --key terminates TLS in front of a plain serve (${mode} mode)`,
    ),
    async () => {
      await using pki = await makePki();
      const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
      await using backend = await spawnNetlab(["serve", "--port", "0", "-q"]);
      const backendAddr = new URL(backend.url).host;
      await using lb = await spawnBalance([
        "--mode",
        mode,
        "--backend",
        backendAddr,
        "--cert",
        leaf.certFile,
        "--key",
        leaf.keyFile,
        "-q",
      ]);
      assert.match(lb.line, /epoll engine.*TLS terminated with OpenSSL 3\./);
      // three requests: one TLS connection made, then kept alive
      const url = `https://localhost:${lb.port}/page.html`;
      const curl = await run("curl", [
        "-s",
        "--http1.1",
        "--cacert",
        pki.caFile,
        ...["-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null"],
        "-w",
        "%{http_code} %{num_connects} %{ssl_verify_result}\n",
        url,
        url,
        url,
      ]);
      assert.equal(curl.out, "200 1 0\n200 0 0\n200 0 0\n", curl.err);
      // openssl's own client: the page comes whole, and the connection closes after it
      const request = "GET /page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
      const s = await run("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${lb.port}`,
        "-servername",
        "localhost",
        "-CAfile",
        pki.caFile,
        "-verify_return_error",
        "-quiet",
      ], request);
      assert.match(s.out, /^HTTP\/1\.1 200 /);
      assert.match(s.out, /<\/html>\s*$/);
    },
  );

  Deno.test(
    ...needs(
      ["openssl", "curl"],
      `netlab balance --backend-tls re-encrypts to a serve --cert backend (${mode} mode)`,
    ),
    async () => {
      await using pki = await makePki();
      const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
      const cert = ["--cert", leaf.certFile, "--key", leaf.keyFile];
      await using backend = await spawnNetlab(["serve", "--port", "0", "-q", ...cert]);
      const backendAddr = new URL(backend.url).host;
      const base = ["--mode", mode, "--backend", backendAddr, "--backend-tls", "-q"];
      // TLS on both sides, the backend verified against the test CA
      await using lb = await spawnBalance([...base, "--cacert", pki.caFile, ...cert]);
      assert.match(lb.line, /TLS terminated and to backends/);
      const url = `https://localhost:${lb.port}/page.html`;
      const curl = await run("curl", [
        "-s",
        "--http1.1",
        "--cacert",
        pki.caFile,
        ...["-o", "/dev/null", "-o", "/dev/null"],
        "-w",
        "%{http_code} %{size_download}\n",
        url,
        url,
      ]);
      assert.match(curl.out, /^200 2\d{3}\n200 2\d{3}\n$/, curl.err);
      // a backend whose certificate is not trusted cannot be connected to: 503 in http mode, a
      // closed connection in tcp mode
      await using untrusted = await spawnBalance(base);
      const plain = await run("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1:${untrusted.port}/page.html`,
      ]);
      assert.equal(plain.out, mode === "http" ? "503" : "000");
    },
  );
}

Deno.test(
  ...needs(["openssl"], "netlab balance refuses TLS it cannot run in one line"),
  async () => {
    await using pki = await makePki();
    const a = await pki.leaf(["a.test"]);
    const b = await pki.leaf(["b.test"]);
    const be = ["balance", "--port", "0", "--backend", "127.0.0.1:1"];
    const cases: [string[], number, RegExp][] = [
      [["--cert", a.certFile, "--key", b.keyFile], 1, /the key does not match the certificate/],
      [["--cert", a.certFile, "--key", a.certFile], 1, /the key is not a PEM private key/],
      [["--cert", `${pki.dir}/none.pem`, "--key", a.keyFile], 1, /no such file/],
      [["--cert", a.certFile], 2, /--cert and --key go together/],
      [["--cert", a.certFile, "--key", a.keyFile, "--engine", "deno"], 2, /--engine epoll/],
      [["--insecure"], 2, /--cacert and --insecure go with --backend-tls/],
      [["--backend-tls", "--cacert", a.keyFile], 1, /CA certificate 1 is not a PEM certificate/],
    ];
    await assertRefusedInOneLine(be, cases);
  },
);

Deno.test(
  ...needs(
    ["openssl", "chromium"],
    "Chromium loads page.html and its images over HTTPS through netlab balance (both modes)",
  ),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    await using backend = await spawnNetlab(["serve", "--port", "0", "-q"]);
    const tls = ["--cert", leaf.certFile, "--key", leaf.keyFile, "-q"];
    const be = ["--backend", new URL(backend.url).host];
    await using tcp = await spawnBalance([...be, ...tls]);
    await using http = await spawnBalance([...be, "--mode", "http", ...tls]);
    await assertChromiumLoads([tcp, http].map((lb) => `https://localhost:${lb.port}/page.html`));
  },
);
