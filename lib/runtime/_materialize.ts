/**
 * Writes embedded files out to a folder, once: the folder is named after the content's digest and
 * appears whole (written beside it, then renamed into place), so a run that finds it can trust it
 * and two runs racing both end with the same folder.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** One embedded file: its path relative to the folder ("img/logo.png") and its bytes. */
export type EmbeddedFile = readonly [path: string, bytes: Uint8Array];

/** Options for {@linkcode materialize}. */
export interface MaterializeOptions {
  /** The folder's name; it must change whenever the content does (version plus digest). */
  name: string;
  /** Where to put it; defaults to {@linkcode cacheBase}'s answer. */
  base?: string;
}

/**
 * Makes sure `<base>/<name>` holds `files` and returns its path.
 *
 * @param files the files to write, paths relative to the folder with "/" separators
 * @param options the folder's name and where to put it
 * @returns the folder's absolute path
 */
export async function materialize(
  files: readonly EmbeddedFile[],
  options: MaterializeOptions,
): Promise<string> {
  const base = options.base ?? cacheBase();
  const target = join(base, options.name);
  if (await exists(target)) return target;
  await Deno.mkdir(base, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: base, prefix: `.${options.name}.` });
  try {
    for (const [path, bytes] of files) {
      if (path.split("/").some((part) => part === ".." || part === "")) {
        throw new Error(`Cannot write embedded file "${path}": not a relative path`);
      }
      const dest = join(staging, ...path.split("/"));
      await Deno.mkdir(dirname(dest), { recursive: true });
      await Deno.writeFile(dest, bytes);
    }
    await Deno.rename(staging, target);
  } catch (err) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    // Another run won the race: its folder has the same content.
    if (await exists(target)) return target;
    throw err;
  }
  return target;
}

/**
 * The per-user cache folder for netlab: `$XDG_CACHE_HOME/netlab`, `~/.cache/netlab`
 * (`~/Library/Caches/netlab` on macOS, `%LOCALAPPDATA%\netlab` on Windows), or
 * {@linkcode tempBase}'s answer when there is no home.
 *
 * @returns an absolute folder path (not created)
 */
export function cacheBase(): string {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "netlab");
  const home = env("HOME");
  const local = env("LOCALAPPDATA");
  if (Deno.build.os === "windows" && local) return join(local, "netlab");
  if (Deno.build.os === "darwin" && home) return join(home, "Library", "Caches", "netlab");
  if (Deno.build.os !== "windows" && home) return join(home, ".cache", "netlab");
  return tempBase();
}

/**
 * A per-user folder for netlab under the temporary directory: `$TMPDIR/netlab-<user>`.
 *
 * @returns an absolute folder path (not created)
 */
export function tempBase(): string {
  const tmp = env("TMPDIR") ?? env("TEMP") ??
    (Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp");
  // The user's name, not Deno.uid(), which would need --allow-sys.
  const user = (env("USER") ?? env("USERNAME") ?? "user").replace(/[^\w.-]/g, "_");
  return join(tmp, `netlab-${user}`);
}

function env(name: string): string | undefined {
  return Deno.env.get(name) || undefined;
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
