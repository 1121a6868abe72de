import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const SUMMARY = fileURLToPath(new URL("../../.ci/summary", import.meta.url));

async function summary(rc: number, output: string): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command("bash", {
    args: [SUMMARY, String(rc)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(output));
  await writer.close();
  const { code, stdout } = await child.output();
  return { code, lines: new TextDecoder().decode(stdout).trimEnd().split("\n") };
}

Deno.test(".ci/summary ends with 'N passed, N failed' when tests were skipped", async () => {
  const out = await summary(0, "x ... ok\n\nok | 288 passed | 0 failed | 1 ignored (40s)\n");
  assert.equal(out.code, 0);
  assert.equal(out.lines.at(-1), "288 passed, 0 failed");
  assert.match(out.lines.at(-2)!, /^1 skipped/);
});

Deno.test(".ci/summary reads a coloured summary and counts failures", async () => {
  const out = await summary(1, "\x1b[31mFAILED\x1b[0m | 280 passed | 3 failed (1m)\n");
  assert.equal(out.code, 1);
  assert.deepEqual(out.lines, ["280 passed, 3 failed"]);
});

Deno.test(".ci/summary counts a run that printed no summary as one failure", async () => {
  const out = await summary(1, "error: Module not found\n");
  assert.equal(out.code, 1);
  assert.equal(out.lines.at(-1), "0 passed, 1 failed");
});
