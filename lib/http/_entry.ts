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
  /** Prototype responses, see {@link FileEntry.protos}. */
  protos: Protos;
}

/**
 * Responses built once and cloned per request: `Response.clone()` copies the validated header
 * list, while `new Response(body, { headers })` validates every header again (about ten times the
 * cost, the largest single item of a cached hit).
 */
export interface Protos {
  get?: Response;
  head?: Response;
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
  /** Prototype full responses for GET and HEAD, built on first use. */
  protos: Protos;
  /** Compressed variants, filled on first use; null when compression did not pay. */
  variants: Partial<Record<Encoding, Variant | null>>;
  /** When the entry was last checked against the file system (ms since epoch). */
  checkedAt: number;
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
): FileEntry {
  const size = body?.length ?? info.size;
  const mtimeMs = info.mtime?.getTime() ?? 0;
  const mtimeSec = Math.floor(mtimeMs / 1000);
  const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  const contentType = contentTypeFor(path);
  const compressible = compress && size >= MIN_COMPRESS_BYTES && isCompressible(contentType);
  const lastModified = new Date(mtimeSec * 1000).toUTCString();
  const validators: Record<string, string> = {
    ...common,
    "etag": etag,
    "last-modified": lastModified,
  };
  if (compressible) validators["vary"] = "Accept-Encoding";
  const partialHeaders = { ...validators, "accept-ranges": "bytes" };
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
    headers: { ...partialHeaders, "content-type": contentType, "content-length": String(size) },
    partialHeaders,
    notModifiedHeaders: validators,
    protos: {},
    variants: {},
    checkedAt: now,
  };
}

/** The compressed variant of a cached entry, computed once. */
export function variantOf(entry: FileEntry, encoding: Encoding): Variant | null {
  const known = entry.variants[encoding];
  if (known !== undefined) return known;
  let variant: Variant | null = null;
  if (entry.body !== null) {
    const body = compressBody(entry.body, encoding);
    if (body !== null) {
      const etag = `${entry.etag.slice(0, -1)}-${encoding}"`;
      variant = {
        body,
        etag,
        headers: {
          ...entry.headers,
          "etag": etag,
          "content-encoding": encoding,
          "content-length": String(body.length),
        },
        protos: {},
      };
    }
  }
  entry.variants[encoding] = variant;
  return variant;
}

/** A fresh copy of the full response for `body` and `headers`, from a prototype built once. */
export function cloneFull(
  protos: Protos,
  head: boolean,
  body: Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
): Response {
  const proto = head
    ? (protos.head ??= new Response(null, { headers }))
    : (protos.get ??= new Response(body, { headers }));
  return proto.clone();
}
