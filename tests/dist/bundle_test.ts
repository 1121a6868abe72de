/**
 * Builds dist/netlab.js-style bundle into a temporary folder (with `--frozen`, so a stale embedded
 * www/ fails here) and runs every command from it, outside the source tree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleRunner, ROOT, run, start, tempDir } from "./_runner.ts";
import { registerSuite } from "./_suite.ts";

const dir = await Deno.makeTempDir({ prefix: "netlab-bundle-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const file = join(dir, "netlab.js");
const built = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", join(ROOT, "tools/bundle.ts"), "--frozen", "--out", file],
  stdout: "piped",
  stderr: "piped",
}).output();
const buildLog = new TextDecoder().decode(built.stderr);

Deno.test("tools/bundle.ts builds one file with the embedded www/", () => {
  assert.equal(built.code, 0, buildLog);
  assert.match(buildLog, /^bundle: wrote .*netlab\.js \(/m);
});

Deno.test("docs/distribution.md gives the bundle's size as it is (within 10 %)", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs/distribution.md"));
  const said = /`deno bundle`, ([\d.]+) MB\b/.exec(doc);
  assert.ok(said, "the size is stated as `deno bundle`, N MB");
  const mb = (await Deno.stat(file)).size / 1e6;
  assert.ok(
    Math.abs(mb - Number(said[1])) <= 0.1 * mb,
    `the doc says ${said[1]} MB, it is ${mb.toFixed(2)} MB`,
  );
});

if (built.success) {
  const runner = bundleRunner(file);
  registerSuite(runner);

  Deno.test("bundle: netlab with a bad flag is still a one-line usage error", async () => {
    const { code, stderr } = await run(runner, ["--frobnicate"], { cwd: dir });
    assert.equal(code, 2);
    assert.equal(stderr.trim().split("\n").length, 2);
    assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/);
  });
}

if (built.success) {
  const runner = bundleRunner(file);

  Deno.test("bundle: serve writes its www/ to the temporary folder when the cache cannot be written", async () => {
    await using tmp = await tempDir("netlab-bundle-cache-");
    const blocker = join(tmp.path, "not-a-dir");
    await Deno.writeTextFile(blocker, "");
    const env = { XDG_CACHE_HOME: blocker, TMPDIR: tmp.path };
    await using server = await start(runner, ["serve", "--port", "0"], { cwd: tmp.path, env });
    const res = await fetch(new URL("page.html", server.url), { headers: { connection: "close" } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const names = (await Array.fromAsync(Deno.readDir(tmp.path))).map((e) => e.name);
    assert.ok(names.some((n) => n.startsWith("netlab-")), names.join(", "));
  });

  Deno.test("bundle: serve with nowhere to write its www/ fails in one line", async () => {
    await using tmp = await tempDir("netlab-bundle-cache-");
    const blocker = join(tmp.path, "not-a-dir");
    await Deno.writeTextFile(blocker, "");
    const env = { XDG_CACHE_HOME: blocker, TMPDIR: blocker };
    const { code, stderr } = await run(runner, ["serve", "--port", "0"], { cwd: tmp.path, env });
    assert.equal(code, 1);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^netlab serve: Cannot write the bundled www\/ to ".*" or ".*": /);
  });
}
