import assert from "node:assert/strict";
import { V8_FLAGS_ARG } from "../../lib/runtime/v8_flags.ts";

const dockerfile = await Deno.readTextFile(new URL("../../Dockerfile", import.meta.url));

// No image can be built here (no Docker daemon, no registry but npm): these are the facts a build
// would depend on that can drift from the rest of the repository.
Deno.test("Dockerfile builds on the Deno version netlab runs on, with the bundle's flags", () => {
  const froms = [...dockerfile.matchAll(/^FROM denoland\/deno:(\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(froms, [Deno.version.deno, Deno.version.deno]);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  assert.ok(entry !== undefined, "an exec-form ENTRYPOINT");
  const argv: string[] = JSON.parse(entry);
  assert.deepEqual(argv.slice(0, 2), ["deno", "run"]);
  assert.ok(argv.includes("-A") && argv.includes("--unstable-net"));
  assert.ok(argv.includes(V8_FLAGS_ARG), "bench's V8 flags, as main.ts's #! line carries them");
  assert.equal(argv.at(-1), "/app/netlab.js");
  assert.match(dockerfile, /deno task bundle/);
  assert.match(dockerfile, /COPY --from=build \/src\/dist\/netlab\.js \/app\/netlab\.js/);
});
