/**
 * Where netlab's bundled files live. The sample site is found from this module's own location, so
 * `netlab serve` works from any working directory.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The bundled `www/` directory (the default root of `netlab serve` and `netlab pool`). */
export function defaultRoot(): Promise<string> {
  return Promise.resolve(fileURLToPath(new URL("../../www", import.meta.url)));
}
