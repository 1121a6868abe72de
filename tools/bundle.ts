/**
 * `deno task bundle`: builds dist/netlab.js, one file that runs every command with
 * `deno run --unstable-net -A dist/netlab.js ...` from any folder. It first regenerates the module
 * that embeds www/ (a bundle cannot carry a folder), then runs `deno bundle`.
 *
 * Usage: `deno run -A tools/bundle.ts [--out FILE] [--frozen]`; `--frozen` refuses to build when
 * the embedded www/ is out of date instead of rewriting it (the tests use it).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { relative, resolve } from "node:path";
import { MANIFEST, syncManifest } from "./_www_manifest.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * Builds the bundle.
 *
 * @param argv the script's arguments
 * @returns the exit code
 */
export async function bundle(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: "string" }, frozen: { type: "boolean" } },
  });
  const out = resolve(values.out ?? `${ROOT}dist/netlab.js`);
  const state = await syncManifest(values.frozen === true);
  if (state === "stale") {
    console.error(
      `bundle: ${relative(ROOT, fileURLToPath(MANIFEST))} is out of date with www/; ` +
        "run `deno task bundle` to regenerate it",
    );
    return 1;
  }
  if (state === "written") {
    console.error(`bundle: regenerated ${relative(ROOT, fileURLToPath(MANIFEST))}`);
  }
  const res = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--unstable-raw-imports",
      "-o",
      out,
      "main.ts",
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!res.success) {
    const text = new TextDecoder().decode(res.stderr).trim();
    const first = text.split("\n").find((l) => /error/i.test(l)) ?? text.split("\n")[0] ?? "";
    console.error(`bundle: deno bundle failed: ${first.replace(/^error:\s*/i, "")}`);
    return 1;
  }
  await Deno.chmod(out, 0o755).catch(() => {}); // not supported on Windows
  const size = (await Deno.stat(out)).size;
  console.error(`bundle: wrote ${relative(Deno.cwd(), out)} (${(size / 1e6).toFixed(1)} MB)`);
  return 0;
}

if (import.meta.main) Deno.exit(await bundle(Deno.args));
