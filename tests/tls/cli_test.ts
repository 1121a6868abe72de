/**
 * `netlab serve --cert --key` and `netlab pool --cert --key` on the epoll engine, as a user runs
 * them: the listening line, curl and Chromium over HTTPS, and certificates that cannot be used.
 */
import assert from "node:assert/strict";
import { spawnNetlab } from "../server/_spawn.ts";
import { needs } from "../_tools.ts";
import { makePki, run } from "./_certs.ts";
import { assertChromiumLoads, assertRefusedInOneLine, netlab } from "./_checks.ts";

Deno.test(
  ...needs(["openssl", "curl"], "netlab serve --cert --key runs HTTPS on the epoll engine"),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    const flags = ["--port", "0", "--cert", leaf.certFile, "--key", leaf.keyFile];
    await using proc = await spawnNetlab(["serve", ...flags]);
    assert.match(
      proc.stderr(),
      /listening on https:\/\/127\.0\.0\.1:\d+\/ \(engine epoll, OpenSSL 3\./,
    );
    const r = await run("curl", [
      "-s",
      "--http1.1",
      "--cacert",
      pki.caFile,
      "-o",
      "/dev/null",
      "-w",
      "%{http_version} %{http_code}",
      new URL("page.html", proc.url).href,
    ]);
    assert.equal(r.out, "1.1 200");
    proc.child.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
    // the deno engine stays selectable
    await using deno = await spawnNetlab(["serve", ...flags, "--engine", "deno"]);
    assert.match(deno.stderr(), /listening on https:\/\/\S+ \(engine deno\)/);
  },
);

Deno.test(
  ...needs(["openssl", "curl"], "netlab pool --cert --key runs HTTPS on each worker's loop"),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    await using proc = await spawnNetlab([
      "pool",
      "--workers",
      "2",
      "--port",
      "0",
      "--cert",
      leaf.certFile,
      "--key",
      leaf.keyFile,
    ]);
    assert.match(proc.stderr(), /engine epoll/);
    const url = new URL("page.html", proc.url).href;
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
      "%{http_code}\n",
      url,
      url,
    ]);
    assert.equal(r.out, "200\n200\n");
  },
);

Deno.test(
  ...needs(["openssl"], "netlab serve refuses a key that is not the certificate's in one line"),
  async () => {
    await using pki = await makePki();
    const a = await pki.leaf(["a.test"]);
    const b = await pki.leaf(["b.test"]);
    const cases: [string[], number, RegExp][] = [
      [["--cert", a.certFile, "--key", b.keyFile], 1, /the key does not match the certificate/],
      [["--cert", a.keyFile, "--key", a.keyFile], 1, /the certificate is not PEM/],
      [["--cert", a.certFile, "--key", a.certFile], 1, /the key is not a PEM private key/],
      [["--cert", `${pki.dir}/none.pem`, "--key", a.keyFile], 1, /no such file/],
      [["--cert", pki.dir, "--key", a.keyFile], 1, /it is a directory/],
      [["--cert", a.certFile], 2, /--cert and --key go together/],
    ];
    await assertRefusedInOneLine(["serve", "--port", "0"], cases);
  },
);

Deno.test(
  ...needs(
    ["openssl", "chromium"],
    "Chromium loads page.html and its images over HTTPS from netlab serve",
  ),
  async () => {
    await using pki = await makePki();
    const leaf = await pki.leaf(["localhost", "127.0.0.1"]);
    await using proc = await spawnNetlab([
      "serve",
      "--port",
      "0",
      "--quiet",
      "--cert",
      leaf.certFile,
      "--key",
      leaf.keyFile,
    ]);
    await assertChromiumLoads([new URL("page.html", proc.url).href]);
  },
);

Deno.test(
  ...needs(["openssl"], "netlab serve with --cert/--key twice picks the certificate by SNI name"),
  async () => {
    await using pki = await makePki();
    const a = await pki.leaf(["a.test"]);
    const b = await pki.leaf(["b.test"], "rsa");
    const pairs = [
      "--cert",
      a.certFile,
      "--key",
      a.keyFile,
      "--cert",
      b.certFile,
      "--key",
      b.keyFile,
    ];
    await using proc = await spawnNetlab(["serve", "--port", "0", "--quiet", ...pairs]);
    const port = new URL(proc.url).port;
    for (const name of ["a.test", "b.test"]) {
      const r = await run("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        name,
        "-CAfile",
        pki.caFile,
        "-verify_return_error",
      ]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`subject=CN ?= ?${name.replace(".", "\\.")}\\n`));
    }
    const odd = await netlab(["serve", "--port", "0", ...pairs.slice(0, 6)]);
    assert.equal(odd.code, 2);
    assert.match(odd.err, /Give one --key per --cert/);
    const deno = await netlab(["serve", "--port", "0", "--engine", "deno", ...pairs]);
    assert.equal(deno.code, 2);
    assert.match(deno.err, /Several certificates \(SNI\) need the epoll engine/);
  },
);
