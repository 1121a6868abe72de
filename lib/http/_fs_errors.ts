/**
 * What a file system error means to the static server: nothing servable there (404), or there but
 * not readable by this process (403), or a fault (500, rethrown).
 *
 * @module
 */

/** Error codes that mean "there is nothing servable there", not a server fault. */
const MISSING = new Set([
  "ENOENT",
  "ENOTDIR",
  "EACCES",
  "EPERM",
  "ELOOP",
  "ENAMETOOLONG",
  "EINVAL",
]);

/**
 * True when the file or a folder on its way may not be read by this process (EACCES, EPERM): the
 * answer is 403, as nginx gives, not 404.
 */
export function isDenied(err: unknown): boolean {
  if (err instanceof Deno.errors.PermissionDenied) return true;
  const code = (err as { code?: unknown })?.code;
  return code === "EACCES" || code === "EPERM";
}

/** True for the errors that mean "there is nothing servable there". */
export function isMissing(err: unknown): boolean {
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return true;
  if (err instanceof Deno.errors.PermissionDenied) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && MISSING.has(code);
}
