/**
 * `netlab serve --cert --key` and `netlab pool --cert --key` on the epoll engine, as a user runs
 * them: the listening line, curl and Chromium over HTTPS, and certificates that cannot be used.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { netlabCommand } from "../_netlab.ts";
import { spawnNetlab } from "../server/_spawn.ts";
import { needs } from "../_tools.ts";
import { makePki, run } from "./_certs.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Runs netlab to its end: exit code and stderr. */
async function netlab(args: string[]): Promise<{ code: number; err: string }> {
  const out = await netlabCommand({ args, stdout: "null", stderr: "piped", stdin: "null" })
    .output();
  return { code: out.code, err: new TextDecoder().decode(out.stderr) };
}

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
    for (const [flags, code, message] of cases) {
      const r = await netlab(["serve", "--port", "0", ...flags]);
      assert.equal(r.code, code, `${flags.join(" ")}: ${r.err}`);
      const lines = r.err.trim().split("\n").filter((l) => !l.startsWith("Try "));
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0]!, message);
    }
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
    const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // the test CA is in no trust store Chromium reads
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors"],
    });
    try {
      const page = await context.newPage();
      const failures: string[] = [];
      page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
      const response = await page.goto(new URL("page.html", proc.url).href, { waitUntil: "load" });
      assert.equal(response?.status(), 200);
      assert.equal(await response?.securityDetails()?.then((d) => d?.protocol), "TLS 1.3");
      const images = await page.$$eval(
        "img",
        (imgs) => imgs.map((i) => ({ src: i.currentSrc, width: i.naturalWidth })),
      );
      assert.ok(images.length >= 3, `${images.length} images`);
      for (const img of images) {
        assert.ok(img.src.startsWith("https:") && img.width > 0, `${img.src} did not decode`);
      }
      assert.deepEqual(failures, []);
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    }
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
