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
import { materialize } from "./_materialize.ts";
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
  return await materialize(files, { name: `www-${VERSION}-${digest.slice(0, 16)}` });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
