/**
 * Where the bundled sample site (www/) is. From the source tree and from a `deno compile`
 * executable (built with `--include www/`) it is the www/ folder beside lib/; a `deno bundle` file
 * cannot carry a folder, so it carries the files themselves (lib/runtime/_www_files.ts) and writes
 * them out once per version into a cache folder.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.ts";
import { NetlabError } from "../errors.ts";
import { cacheBase, materialize, tempBase } from "./_materialize.ts";
import { runMode } from "./mode.ts";

/**
 * The directory of the sample site netlab serves by default, found from the code's own location,
 * never from the current directory.
 *
 * @returns an absolute directory path
 * @example
 * ```ts
 * import { defaultRoot } from "./assets.ts";
 * const root = await defaultRoot(); // ".../www" from source
 * ```
 */
export async function defaultRoot(): Promise<string> {
  if (runMode() !== "bundle") {
    const dir = fileURLToPath(new URL("../../www", import.meta.url));
    if (await isDirectory(dir)) return dir;
  }
  // Loaded only when needed: from source this module never reads the embedded bytes.
  const { files, digest } = await import("./_www_files.ts");
  const name = `www-${VERSION}-${digest.slice(0, 16)}`;
  const bases = [cacheBase(), tempBase()];
  let cause: unknown;
  for (const base of bases) {
    try {
      return await materialize(files, { name, base });
    } catch (err) {
      // A cache folder we cannot write (read-only home, a file in the way): try the next place.
      if (!UNWRITABLE.some((e) => err instanceof e)) throw err;
      cause = err;
    }
  }
  const where = bases.map((b) => `"${b}"`).join(" or ");
  const why = cause instanceof Error ? cause.message : String(cause);
  throw new NetlabError(`Cannot write the bundled www/ to ${where}: ${why}`, { cause });
}

const UNWRITABLE = [
  Deno.errors.PermissionDenied,
  Deno.errors.NotADirectory,
  Deno.errors.AlreadyExists,
];

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
