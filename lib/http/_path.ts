/**
 * Turns a URL path into a file path under the root without ever leaving it. The URL parser has
 * already resolved `.`/`..` (including `%2e%2e`) and turned backslashes into slashes; what is left
 * to refuse here is what decoding can still smuggle in.
 *
 * @module
 */

/** A URL path that maps to a file path under the root, or the status that refuses it. */
export type PathResult =
  | { ok: true; path: string; segments: string[] }
  | { ok: false; status: 400 | 404 };

const BAD_400: PathResult = { ok: false, status: 400 };
const NOT_FOUND: PathResult = { ok: false, status: 404 };

/**
 * Maps `pathname` (as given by `new URL(req.url).pathname`) onto `root`.
 *
 * Bad percent-encoding, encoded slashes, backslashes and NUL are 400: no file can be named so and
 * they are what path-traversal attempts look like. Dot segments are 404 unless `dotfiles`.
 */
export function resolvePath(root: string, pathname: string, dotfiles: boolean): PathResult {
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let seg = raw;
    if (raw.includes("%")) {
      try {
        seg = decodeURIComponent(raw);
      } catch {
        return BAD_400;
      }
    }
    if (seg.includes("/") || seg.includes("\\") || seg.includes("\0")) return BAD_400;
    if (seg === "." || seg === "..") return BAD_400;
    if (seg.charCodeAt(0) === 46 /* . */ && !dotfiles) return NOT_FOUND;
    segments.push(seg);
  }
  const path = segments.length === 0 ? root : `${root}/${segments.join("/")}`;
  return { ok: true, path, segments };
}

/** True when `real` (a resolved path) is `realRoot` or inside it. */
export function isInside(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith("/") ? realRoot : `${realRoot}/`);
}
