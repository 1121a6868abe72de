/**
 * Precompressed siblings: `FILE.br` and `FILE.gz`, as bundlers write them next to each asset, sent
 * for FILE to a client that accepts their coding, as they are (no compression on the fly). A
 * sibling counts only when it is a regular file inside the root and as new as FILE or newer, so
 * a stale one left behind by an older build is never sent. Requested by its own name, a sibling
 * is an ordinary file (`/app.js.gz` is `application/gzip`).
 *
 * @module
 */
import { type Encoding, pickEncoding } from "./_compress.ts";
import { type FileEntry, fileEntry, type Origin } from "./_entry.ts";
import { isInside } from "./_path.ts";

/** The siblings looked for, best first on a tie of q-values. */
const SUFFIXES: readonly [Encoding, string][] = [["br", ".br"], ["gzip", ".gz"]];

/** A sibling found on disk. */
export interface Sibling {
  coding: Encoding;
  path: string;
  info: Deno.FileInfo;
}

/**
 * The usable siblings of the file at `path` (stat `info`): regular files the server can open,
 * resolving inside `realRoot`, modified no earlier than the file. Missing ones are not there.
 */
export async function findSiblings(
  path: string,
  info: Deno.FileInfo,
  realRoot: string,
): Promise<Sibling[]> {
  const mtime = info.mtime?.getTime() ?? 0;
  const found: Sibling[] = [];
  for (const [coding, suffix] of SUFFIXES) {
    const at = path + suffix;
    let sib: Deno.FileInfo;
    try {
      sib = await Deno.stat(at);
      if (!sib.isFile || (sib.mtime?.getTime() ?? 0) < mtime) continue;
      if (!isInside(realRoot, await Deno.realPath(at))) continue;
      // one the server cannot open must not stand in for a file it can (a 404 or 403 for FILE)
      (await Deno.open(at)).close();
    } catch {
      continue; // absent, unreadable or gone: no sibling
    }
    found.push({ coding, path: at, info: sib });
  }
  return found;
}

/** A string that changes whenever a sibling appears, goes, or changes. */
export function siblingsKey(siblings: readonly Sibling[]): string {
  let key = "";
  for (const s of siblings) {
    key += `${s.coding}:${s.info.size}:${s.info.mtime?.getTime() ?? 0}:${s.info.ino ?? ""};`;
  }
  return key;
}

/**
 * The entry for a sibling standing for `original`: its own length, ETag and body, the original's
 * Content-Type, and `Content-Encoding`. `common` holds the original's common headers (Vary
 * included). Null when it went away before it could be read.
 */
export async function siblingEntry(
  s: Sibling,
  original: FileEntry,
  common: Record<string, string>,
  maxFileBytes: number,
  now: number,
): Promise<FileEntry | null> {
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (s.info.size <= maxFileBytes) {
    try {
      body = await Deno.readFile(s.path);
    } catch {
      return null;
    }
  }
  const origin: Origin = {
    coding: s.coding,
    path: original.path,
    contentType: original.contentType,
  };
  return fileEntry(s.path, s.info, body, common, false, now, origin);
}

/**
 * The representation of `entry` to send for an Accept-Encoding value: the accepted sibling with
 * the highest q-value (brotli on a tie), or the entry itself.
 */
export function chooseRepresentation(entry: FileEntry, acceptEncoding: string | null): FileEntry {
  const siblings = entry.precompressed;
  if (siblings === undefined || acceptEncoding === null) return entry;
  const coding = pickEncoding(
    acceptEncoding,
    siblings.br !== undefined,
    siblings.gzip !== undefined,
  );
  return coding === null ? entry : siblings[coding] ?? entry;
}
