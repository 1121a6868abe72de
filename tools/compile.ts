/**
 * `deno task compile`: builds dist/netlab, one executable, with `deno compile` from main.ts. It
 * embeds www/ and the worker module (`--include`), turns on `--unstable-net`, bakes in the V8 flags
 * of lib/runtime/v8_flags.ts and grants the
 * permissions in tools/_permissions.ts rather than `-A`.
 *
 * `deno compile` starts from a runtime base, denort, that it downloads for the Deno version in use;
 * on a machine that cannot download it, point `DENORT_BIN` at an unzipped denort of the same
 * version. When no base can be had this script says so in one line and exits 1.
 *
 * Usage: `deno run -A tools/compile.ts [--out FILE]`
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { dirname, relative, resolve } from "node:path";
import { VERSION } from "../lib/version.ts";
import { PERMISSIONS } from "./_permissions.ts";
import { V8_FLAGS_ARG } from "../lib/runtime/v8_flags.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Files and folders embedded besides the module graph, relative to the repository. */
const INCLUDES = ["www/", "lib/server/pool_worker.ts"];

const HOW = "set DENORT_BIN=/path/to/denort (the denort of Deno " +
  `${Deno.version.deno} for ${Deno.build.target}, unzipped)`;

/**
 * Builds the executable.
 *
 * @param argv the script's arguments
 * @returns the exit code
 */
export async function compile(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: "string" } } });
  const out = resolve(values.out ?? `${ROOT}dist/netlab`);
  const base = Deno.env.get("DENORT_BIN") || undefined;
  if (base !== undefined && !(await isFile(base))) {
    console.error(`compile: DENORT_BIN "${base}" is not a file; ${HOW}`);
    return 1;
  }
  await Deno.mkdir(dirname(out), { recursive: true });
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--quiet", ...await compileArgs(out)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!res.success) {
    const text = new TextDecoder().decode(res.stderr);
    if (/base binary|denort/i.test(text)) {
      console.error(
        `compile: cannot get the denort runtime base that deno compile builds on; ${HOW}`,
      );
    } else {
      const first = text.split("\n").find((l) => /error/i.test(l)) ?? "";
      console.error(`compile: deno compile failed: ${first.replace(/^error:\s*/i, "").trim()}`);
    }
    return 1;
  }
  // A full `deno` binary given as DENORT_BIN builds without complaint but the result is the deno
  // CLI, which ignores the embedded program: run it once to be sure it is netlab.
  const probe = await new Deno.Command(out, {
    args: ["--version"],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  const said = new TextDecoder().decode(probe.stdout).trim();
  if (said !== VERSION) {
    await Deno.remove(out).catch(() => {});
    console.error(
      `compile: the executable built on DENORT_BIN "${base ?? "(downloaded)"}" does not run ` +
        `netlab (it printed "${said.split("\n")[0]}"); it must be denort, not deno; ${HOW}`,
    );
    return 1;
  }
  const size = (await Deno.stat(out)).size;
  console.error(`compile: wrote ${relative(Deno.cwd(), out)} (${(size / 1e6).toFixed(0)} MB)`);
  return 0;
}

/**
 * The `deno compile` arguments after the subcommand, to run from the repository root.
 *
 * @param out the executable to write
 * @returns flags, includes, `-o out` and the entry module
 */
export async function compileArgs(out: string): Promise<string[]> {
  const includes: string[] = [];
  for (const inc of INCLUDES) {
    if (await exists(`${ROOT}${inc}`)) includes.push("--include", inc);
  }
  return ["--unstable-net", V8_FLAGS_ARG, ...PERMISSIONS, ...includes, "-o", out, "main.ts"];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

if (import.meta.main) Deno.exit(await compile(Deno.args));
