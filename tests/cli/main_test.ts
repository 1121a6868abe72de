import assert from "node:assert/strict";
import { netlab } from "../_netlab.ts";
export { netlab } from "../_netlab.ts";

Deno.test("netlab --help lists every command with examples", async () => {
  const { code, stdout } = await netlab(["--help"]);
  assert.equal(code, 0);
  for (const cmd of ["serve", "pool", "balance", "bench", "lab"]) {
    assert.match(stdout, new RegExp(cmd));
  }
  assert.match(stdout, /Examples:/);
});

Deno.test("netlab --version prints the version from deno.json", async () => {
  const meta = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const { code, stdout } = await netlab(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), meta.version);
});

Deno.test("netlab with an unknown command is a usage error (exit 2, one line and a hint)", async () => {
  const { code, stderr } = await netlab(["frobnicate"]);
  assert.equal(code, 2);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^netlab: unknown command 'frobnicate'/);
  assert.match(lines[1]!, /--help/);
});
