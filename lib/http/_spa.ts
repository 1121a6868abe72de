/**
 * The single-page-app fallback (`--spa`): a browser that opens a deep link (`/users/42`) of an app
 * that routes on the client gets the app's page instead of a 404, while a missing asset
 * (`/app.js`) and a script's `fetch()` of a missing path stay 404s.
 *
 * @module
 */
import { resolvePath } from "./_path.ts";

/**
 * The file path of the SPA page `file` (relative to `root`), or the reason it cannot be one: it
 * must name a file under the root without `..`.
 */
export function spaPath(root: string, file: string): { path: string } | { error: string } {
  const rel = file.replace(/^\/+/, "");
  if (rel === "" || rel.endsWith("/")) return { error: "expected a file under the root" };
  const resolved = resolvePath(root, `/${rel.split("/").map(encodeURIComponent).join("/")}`, true);
  if (!resolved.ok) return { error: "expected a file under the root, without .. or backslashes" };
  return { path: resolved.path };
}

/**
 * Whether a GET or HEAD for a path that does not exist gets the SPA page: its last segment has no
 * extension (no dot), and its Accept header names `text/html` with a q-value above 0, as a
 * browser's navigation does (`*\/*` alone, as curl and `fetch()` send, does not count).
 */
export function wantsSpa(pathname: string, accept: string | null): boolean {
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  if (last.includes(".")) return false;
  if (accept === null) return false;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";");
    if (type!.trim().toLowerCase() !== "text/html") continue;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(p));
  }
  return false;
}
