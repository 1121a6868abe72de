/**
 * Builds dist/netlab.js-style bundle into a temporary folder (with `--frozen`, so a stale embedded
 * www/ fails here) and runs every command from it, outside the source tree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleRunner, missingCommands, ROOT, run } from "./_runner.ts";
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

if (built.success) {
  const runner = bundleRunner(file);
  registerSuite(runner, await missingCommands(runner, dir));

  Deno.test("bundle: netlab with a bad flag is still a one-line usage error", async () => {
    const { code, stderr } = await run(runner, ["--frobnicate"], { cwd: dir });
    assert.equal(code, 2);
    assert.equal(stderr.trim().split("\n").length, 2);
    assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/);
  });
}
