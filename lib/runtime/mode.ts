/**
 * Where the running netlab came from: the source tree, a `deno bundle` file or a `deno compile`
 * executable. Asked in one place so the few things that differ (the www/ directory, how to start a
 * copy of ourselves) are decided together.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** How this netlab is running. */
export type RunMode = "source" | "bundle" | "binary";

// A bundle flattens every module into one file, so import.meta.url there is the bundle's own URL;
// only the source tree (and a compiled binary's embedded copy of it) still has this path.
const SOURCE_SUFFIX = "/lib/runtime/mode.ts";

/**
 * Tells how this netlab is running.
 *
 * @param moduleUrl the URL to judge, for tests; defaults to this module's own
 * @param standalone whether this is a `deno compile` executable; defaults to `Deno.build.standalone`
 * @returns "binary" inside a `deno compile` executable, "source" when running from the source tree,
 * "bundle" otherwise
 */
export function runMode(
  moduleUrl: string = import.meta.url,
  standalone: boolean = Deno.build.standalone,
): RunMode {
  if (standalone) return "binary";
  return moduleUrl.endsWith(SOURCE_SUFFIX) ? "source" : "bundle";
}

/**
 * The file that starts netlab: `main.ts` in the source tree and in a binary, the bundle file itself
 * in a bundle.
 *
 * @param moduleUrl the URL to judge, for tests; defaults to this module's own
 * @returns an absolute path
 */
export function entryPath(moduleUrl: string = import.meta.url): string {
  return moduleUrl.endsWith(SOURCE_SUFFIX)
    ? fileURLToPath(new URL("../../main.ts", moduleUrl))
    : fileURLToPath(moduleUrl);
}
