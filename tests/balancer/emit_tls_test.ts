/**
 * `--emit haproxy|nginx` with `--cert`/`--key` and `--backend-tls`: the configurations are
 * accepted by the real tools, and HAProxy and nginx started on them carry an HTTPS request
 * (verified on both sides) to a `serve --cert` backend on loopback.
 */
import assert from "node:assert/strict";
import { haproxyConfig } from "../../lib/balancer/haproxy.ts";
import { nginxConfig } from "../../lib/balancer/nginx.ts";
import type { EmitTlsFiles } from "../../lib/balancer/_emit.ts";
import type { BalanceMode } from "../../lib/balancer/options.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { netlabCommand } from "../_netlab.ts";
import { needs } from "../_tools.ts";
import { type Leaf, makePki, run, type TestPki } from "../tls/_certs.ts";
import { nginxPrefix, nginxRun, nginxTest } from "./_nginx.ts";

const MODES: BalanceMode[] = ["tcp", "http"];
const dec = new TextDecoder();

/** Does what the comment above HAProxy's `bind` says: links each key where HAProxy reads it. */
async function linkKeys(config: string): Promise<void> {
  for (const m of config.matchAll(/^ {2}# {3}ln -s (\S+) (\S+)$/gm)) {
    await Deno.symlink(m[1]!, m[2]!).catch((err) => {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    });
  }
}

async function haproxyCheck(dir: string, config: string): Promise<void> {
  const file = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(file, config);
  await linkKeys(config);
  const out = await new Deno.Command("haproxy", { args: ["-c", "-f", file] }).output();
  assert.ok(out.success, config + dec.decode(out.stderr) + dec.decode(out.stdout));
}

function freePort(): number {
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return l.addr.port;
}

/** curl over HTTPS, retried while nothing listens yet (bounded in tries): code and size. */
async function curlWhenUp(port: number, ca: string): Promise<string> {
  const args = [
    "-s",
    "--http1.1",
    "--cacert",
    ca,
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{size_download}",
  ];
  let out = "";
  for (let i = 0; i < 200; i++) {
    out = (await run("curl", [...args, `https://localhost:${port}/page.html`])).out;
    if (!out.startsWith("000")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

/** A test CA, a `serve --cert` backend with its leaf, and a free port for the tool to listen on. */
async function tlsSetup() {
  const pki = await makePki();
  const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
  const tls = { identities: [{ cert: leaf.cert, key: leaf.key }] };
  const backend = startHttp1({ root: await defaultRoot(), port: 0, accessLog: false, tls });
  return {
    pki,
    leaf,
    backend,
    port: freePort(),
    async [Symbol.asyncDispose]() {
      await backend.shutdown();
      await pki[Symbol.asyncDispose]();
    },
  };
}

/** The TLS files of a balancer that terminates with `leaf` and verifies backends against the CA. */
const verified = (pki: TestPki, leaf: Leaf): EmitTlsFiles => ({
  identities: [{ cert: leaf.certFile, key: leaf.keyFile }],
  backend: { cacert: pki.caFile },
});

Deno.test(
  ...needs(
    ["openssl", "haproxy", "nginx"],
    "haproxyConfig() and nginxConfig() render TLS that haproxy -c and nginx -t accept",
  ),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    const other = await pki.leaf(["other.test"], "rsa");
    const backends = [{ host: "127.0.0.1", port: 9443, weight: 1 }];
    const dir = await nginxPrefix();
    try {
      for (const mode of MODES) {
        for (const backend of [{ cacert: pki.caFile }, { insecure: true }, {}]) {
          const tlsFiles = { identities: [{ cert: leaf.certFile, key: leaf.keyFile }], backend };
          const h = haproxyConfig({ backends, mode, tlsFiles });
          assert.match(h, /bind 127\.0\.0\.1:44444 ssl crt \S+leaf\d\.pem ssl-min-ver TLSv1\.2/);
          assert.match(h, backend.insecure ? / ssl verify none/ : / ssl verify required ca-file /);
          await haproxyCheck(pki.dir, h);
          const n = nginxConfig({ backends, mode, tlsFiles });
          assert.match(n, /listen 127\.0\.0\.1:44444 ssl;\n\s+ssl_certificate \S+leaf\d\.pem;/);
          assert.match(n, backend.insecure ? /proxy_ssl_verify off;/ : /proxy_ssl_verify on;/);
          const checked = await nginxTest(dir, n);
          assert.ok(checked.success, n + dec.decode(checked.stderr));
        }
      }
      // several certificates: HAProxy picks by SNI among them; a key beside a .crt
      await Deno.copyFile(other.certFile, `${pki.dir}/site.crt`);
      await Deno.copyFile(other.keyFile, `${pki.dir}/site.key`);
      const two = haproxyConfig({
        backends,
        tlsFiles: { identities: [{ cert: `${pki.dir}/site.crt`, key: `${pki.dir}/site.key` }] },
      });
      assert.match(two, /ssl-load-extra-del-ext/);
      await haproxyCheck(pki.dir, two);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

for (const mode of MODES) {
  Deno.test(
    ...needs(
      ["openssl", "curl", "haproxy"],
      `haproxyConfig() with TLS carries HTTPS through HAProxy to a TLS backend, verified (${mode} mode)`,
    ),
    async () => {
      await using s = await tlsSetup();
      const { pki, leaf, backend, port } = s;
      const config = haproxyConfig({
        backends: [{ host: "127.0.0.1", port: backend.addr.port, weight: 1 }],
        port,
        mode,
        healthIntervalMs: 0,
        tlsFiles: verified(pki, leaf),
      });
      await haproxyCheck(pki.dir, config);
      const child = new Deno.Command("haproxy", {
        args: ["-f", `${pki.dir}/haproxy.cfg`, "-db"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        assert.equal(await curlWhenUp(port, pki.caFile), "200 2067");
        assert.ok(backend.tls!.handshakes >= 1, "the backend was reached over TLS");
      } finally {
        child.kill();
        await child.status;
      }
    },
  );

  Deno.test(
    ...needs(
      ["openssl", "curl", "nginx"],
      `nginxConfig() with TLS carries HTTPS through nginx to a TLS backend, verified (${mode} mode)`,
    ),
    async () => {
      await using s = await tlsSetup();
      const { pki, leaf, backend, port } = s;
      const config = nginxConfig({
        backends: [{ host: "127.0.0.1", port: backend.addr.port, weight: 1 }],
        port,
        mode,
        tlsFiles: verified(pki, leaf),
      })
        .replace("worker_processes auto;", "worker_processes 1;")
        // as the comment asks: a DNS name the backend's certificate carries (nginx checks no IP)
        .replace("proxy_ssl_name 127.0.0.1;", "proxy_ssl_name localhost;");
      const dir = await nginxPrefix();
      const checked = await nginxTest(dir, config);
      assert.ok(checked.success, dec.decode(checked.stderr));
      const nginx = nginxRun(dir);
      try {
        assert.equal(await curlWhenUp(port, pki.caFile), "200 2067");
        assert.ok(backend.tls!.handshakes >= 1, "the backend was reached over TLS");
      } finally {
        nginx.kill("SIGTERM");
        await nginx.status;
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test(
  ...needs(
    ["openssl"],
    "netlab balance --emit renders TLS files by absolute path, and refuses what nginx cannot do in one line",
  ),
  async () => {
    await using pki = await makePki();
    const a = await pki.leaf(["a.test"]);
    const b = await pki.leaf(["b.test"]);
    const base = ["balance", "--port", "8443", "--backend", "127.0.0.1:9443"];
    const relative = (path: string) => path.slice(pki.dir.length + 1);
    // run in the PKI's folder: the user's relative paths
    const netlab = async (args: string[]) => {
      const out = await netlabCommand({ args, cwd: pki.dir, stdout: "piped", stderr: "piped" })
        .output();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    {
      const cert = ["--cert", relative(a.certFile), "--key", relative(a.keyFile)];
      const h = await netlab([
        ...base,
        ...cert,
        "--backend-tls",
        "--insecure",
        "--emit",
        "haproxy",
      ]);
      assert.equal(h.code, 0, h.stderr);
      assert.ok(h.stdout.includes(` ssl crt ${a.certFile} `), h.stdout);
      assert.ok(h.stdout.includes(`ln -s ${a.keyFile} ${a.certFile}.key`), h.stdout);
      const n = await netlab([...base, ...cert, "--emit", "nginx"]);
      assert.equal(n.code, 0, n.stderr);
      assert.ok(n.stdout.includes(`ssl_certificate_key ${a.keyFile};`), n.stdout);
      const two = await netlab([
        ...base,
        ...cert,
        "--cert",
        b.certFile,
        "--key",
        b.keyFile,
        "--emit",
        "nginx",
      ]);
      assert.equal(two.code, 2);
      assert.match(two.stderr.split("\n")[0]!, /Cannot emit nginx with more than one --cert/);
    }
  },
);
