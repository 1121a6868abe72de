import assert from "node:assert/strict";
import { sampleResult } from "../lab/_fixture.ts";
import { writeLabReport } from "../../lib/lab/write.ts";
import { needs } from "../_tools.ts";

const SCRIPT = new URL("../../tools/screenshot.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test(
  ...needs(["chromium"], "deno task screenshot photographs a lab report into a PNG"),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "netlab-shot-" });
    try {
      await writeLabReport(sampleResult(), dir);
      const png = `${dir}/shot.png`;
      const { code, stderr } = await run([dir, "--out", png, "--width", "800", "--height", "400"]);
      assert.equal(code, 0, stderr);
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      const view = new DataView(bytes.buffer);
      assert.equal(view.getUint32(16), 800); // IHDR width
      assert.equal(view.getUint32(20), 400); // IHDR height
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("deno task screenshot without a report says to run the lab first (exit 1)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await run([dir]);
    assert.equal(code, 1);
    assert.match(stderr, /^screenshot: no .*report\.html; run `deno task lab` first/);
  } finally {
    await Deno.remove(dir);
  }
});
