import assert from "node:assert/strict";

const PERF = new URL("../../bench/perf.ts", import.meta.url).pathname;

Deno.test("deno task perf with an unknown section exits 2 and lists the sections, loading nothing", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PERF, "serve", "nosuch"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2);
  assert.equal(new TextDecoder().decode(out.stdout), "");
  assert.match(stderr, /^perf: unknown section "nosuch"; the sections are .*\bserve\b/);
  for (const section of ["pool", "balance", "bench", "bench-memory"]) {
    assert.match(stderr, new RegExp(`\\b${section}\\b`));
  }
  assert.doesNotMatch(stderr, /perf: serve \.\.\./, "nothing ran");
});
