/**
 * `deno task compile`: builds the executable into a temporary folder and runs every command from it,
 * where the machine can get the denort base `deno compile` needs; where it cannot, the suite is
 * registered as skipped with the reason, and the one-line failure itself is checked.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compileArgs } from "../../tools/compile.ts";
import { binaryRunner, ROOT } from "./_runner.ts";
import { registerSuite } from "./_suite.ts";

const COMPILE = join(ROOT, "tools/compile.ts");

async function compile(out: string, env: Record<string, string> = {}) {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", COMPILE, "--out", out],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: res.code, stderr: new TextDecoder().decode(res.stderr) };
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /Stack backtrace|\bat .*:\d+:\d+/);
}

const dir = await Deno.makeTempDir({ prefix: "netlab-compile-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const file = join(dir, "netlab");
const built = await compile(file);
const noBase = built.code !== 0 && /DENORT_BIN/.test(built.stderr);

Deno.test("tools/compile.ts with a DENORT_BIN that does not exist fails in one line", async () => {
  const { code, stderr } = await compile(join(dir, "x"), { DENORT_BIN: join(dir, "missing") });
  assert.equal(code, 1);
  assertOneLine(stderr, /^compile: DENORT_BIN ".*missing" is not a file; set DENORT_BIN=/);
});

Deno.test("tools/compile.ts refuses the deno CLI as DENORT_BIN in one line", async () => {
  const { code, stderr } = await compile(join(dir, "y"), { DENORT_BIN: Deno.execPath() });
  assert.equal(code, 1);
  assertOneLine(stderr, /it must be denort, not deno; set DENORT_BIN=/);
  await assert.rejects(Deno.stat(join(dir, "y")), Deno.errors.NotFound);
});

if (noBase) {
  Deno.test("tools/compile.ts without a denort base fails in one line saying how to give one", () => {
    assert.equal(built.code, 1);
    assertOneLine(built.stderr, /^compile: .*; set DENORT_BIN=\/path\/to\/denort/);
  });
  Deno.test({
    name: `binary: every command from the compiled netlab (skipped: ${built.stderr.trim()})`,
    ignore: true,
    fn: () => {},
  });
} else {
  Deno.test("tools/compile.ts builds the executable", () => {
    assert.equal(built.code, 0, built.stderr);
  });
  if (built.code === 0) {
    const runner = binaryRunner(file);
    registerSuite(runner);
  }
}

Deno.test("deno compile with tools/compile.ts's arguments embeds main.ts, www/ and the worker", async () => {
  // Built on the deno CLI as base, which any machine has: the result does not run netlab, but
  // deno compile's listing of what it embedded is the same as with denort.
  const out = join(dir, "listing");
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...await compileArgs(out)],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENORT_BIN: Deno.execPath() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  await Deno.remove(out).catch(() => {});
  assert.equal(res.code, 0, text);
  assert.match(text, /^\S*── main\.ts \(/m);
  assert.match(text, /── www\/\* \(/);
  assert.match(text, /── server\/\* \(|── pool_worker\.ts \(/);
});
