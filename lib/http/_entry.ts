/**
 * A file as the handler serves it: metadata, validators, the body when small enough to keep, and
 * response headers computed once instead of on every request.
 *
 * @module
 */
import { compressBody, type Encoding, MIN_COMPRESS_BYTES } from "./_compress.ts";
import { contentTypeFor, isCompressible } from "./_mime.ts";

/** A compressed form of a cached body, with its headers. */
export interface Variant {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
  headers: Record<string, string>;
  /** `headers` as pairs, see {@link FileEntry.headerList}. */
  headerList: [string, string][];
}

/** A regular file under the root. */
export interface FileEntry {
  kind: "file";
  path: string;
  size: number;
  mtimeMs: number;
  mtimeSec: number;
  etag: string;
  contentType: string;
  /** Compression applies (compressible type, large enough, compression on). */
  compressible: boolean;
  /** The whole file, or null when it is streamed from disk on each request. */
  body: Uint8Array<ArrayBuffer> | null;
  /** Headers of a full 200 response (Content-Length included). */
  headers: Record<string, string>;
  /** Headers without Content-Length/Type, for 206 and multipart responses. */
  partialHeaders: Record<string, string>;
  /** Headers of a 304 response. */
  notModifiedHeaders: Record<string, string>;
  /** `headers` as pairs, for {@link fullResponse}. */
  headerList: [string, string][];
  /** Compressed variants, filled on first use; null when compression did not pay. */
  variants: Partial<Record<Encoding, Variant | null>>;
  /** When the entry was last checked against the file system (ms since epoch). */
  checkedAt: number;
  /** Precompressed siblings (`FILE.br`, `FILE.gz`) served in its place when accepted. */
  precompressed?: Partial<Record<Encoding, FileEntry>>;
  /** What the siblings were when last checked (coding, size, mtime), to see them change. */
  siblingsKey?: string;
  /** Set on a sibling entry: the coding it is in and the file it stands for. */
  origin?: Origin;
}

/** What a precompressed sibling stands for. */
export interface Origin {
  coding: Encoding;
  /** The original file's path (its name decides the cache policy). */
  path: string;
  /** The original's Content-Type. */
  contentType: string;
}

/** A directory under the root. */
export interface DirEntry {
  kind: "dir";
  path: string;
  checkedAt: number;
}

/** Anything the cache holds. */
export type Entry = FileEntry | DirEntry;

/** Builds a file entry from its stat; `common` holds headers sent on every response. */
export function fileEntry(
  path: string,
  info: Deno.FileInfo,
  body: Uint8Array<ArrayBuffer> | null,
  common: Record<string, string>,
  compress: boolean,
  now: number,
  origin?: Origin,
): FileEntry {
  const size = body?.length ?? info.size;
  const mtimeMs = info.mtime?.getTime() ?? 0;
  const mtimeSec = Math.floor(mtimeMs / 1000);
  const coding = origin === undefined ? "" : `-${origin.coding}`;
  const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${coding}"`;
  const contentType = origin?.contentType ?? contentTypeFor(path);
  const compressible = origin === undefined && compress && size >= MIN_COMPRESS_BYTES &&
    isCompressible(contentType);
  const lastModified = new Date(mtimeSec * 1000).toUTCString();
  const validators: Record<string, string> = {
    ...common,
    "etag": etag,
    "last-modified": lastModified,
  };
  if (compressible) validators["vary"] = "Accept-Encoding";
  const partialHeaders: Record<string, string> = { ...validators, "accept-ranges": "bytes" };
  if (origin !== undefined) partialHeaders["content-encoding"] = origin.coding;
  const headers = {
    ...partialHeaders,
    "content-type": contentType,
    "content-length": String(size),
  };
  return {
    kind: "file",
    path,
    size,
    mtimeMs,
    mtimeSec,
    etag,
    contentType,
    compressible,
    body,
    headers,
    partialHeaders,
    notModifiedHeaders: validators,
    headerList: Object.entries(headers),
    variants: {},
    checkedAt: now,
    ...(origin !== undefined ? { origin } : {}),
  };
}

/** The compressed variant of a cached entry, computed once. */
export function variantOf(entry: FileEntry, encoding: Encoding): Variant | null {
  const known = entry.variants[encoding];
  if (known !== undefined) return known;
  const variant = entry.body === null
    ? null
    : buildVariant(entry, encoding, compressBody(entry.body, encoding));
  entry.variants[encoding] = variant;
  return variant;
}

/** The variant of `entry` whose compressed body is `body` (null: compression did not pay). */
export function buildVariant(
  entry: FileEntry,
  encoding: Encoding,
  body: Uint8Array<ArrayBuffer> | null,
): Variant | null {
  if (body === null) return null;
  const etag = `${entry.etag.slice(0, -1)}-${encoding}"`;
  const headers = {
    ...entry.headers,
    "etag": etag,
    "content-encoding": encoding,
    "content-length": String(body.length),
  };
  return { body, etag, headers, headerList: Object.entries(headers) };
}

/**
 * The full response for a cached body. The Response constructor copies `body` (Fetch: a
 * BufferSource body is a copy of its bytes), so whatever a caller does with the bytes it reads, or
 * transfers them to another thread, the cache keeps its own. Headers are appended to the new
 * response one by one: `new Response(body, { headers })` costs several times as much in Deno 2.
 */
export function fullResponse(
  head: boolean,
  body: Uint8Array<ArrayBuffer>,
  headerList: [string, string][],
): Response {
  const res = new Response(head ? null : body);
  const headers = res.headers;
  for (const [name, value] of headerList) headers.append(name, value);
  return res;
}
