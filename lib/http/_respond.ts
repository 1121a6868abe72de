/**
 * Builds the response for a file entry: preconditions, content coding, ranges, and the body from
 * memory or disk.
 *
 * @module
 */
import {
  evaluatePreconditions,
  ifRangeAllows,
  notModifiedEtag,
  type Validators,
} from "./_conditional.ts";
import { type Encoding, gzipStream, pickEncoding } from "./_compress.ts";
import { type FileEntry, fullResponse, type Variant } from "./_entry.ts";
import { type ByteRange, parseRange } from "./_range.ts";
import { multipartStream, type Part, rangeStream } from "./_stream.ts";
import { type FileCache, isMissing } from "./_cache.ts";
import { type Compressor, PROVISIONAL } from "./compressor.ts";
import { FileResponse } from "./file_response.ts";
import { chooseRepresentation } from "./_precompressed.ts";

const encoder = new TextEncoder();

/** A streamed entry's file, opened for one response, and its entry as that open found it. */
interface Opened {
  file: Deno.FsFile;
  entry: FileEntry;
  info: Deno.FileInfo;
}

/** What the responder needs from the handler. */
export interface RespondContext {
  cache: FileCache;
  /** Where large files are gzipped as they stream; without one, on this thread. */
  compressor?: Compressor;
  /** Plain-text error response for a status, with the common headers. */
  error(status: number, extra?: Record<string, string>, head?: boolean): Response;
  /** The 404 response (the root's 404.html when it has one). */
  notFound(head: boolean): Promise<Response>;
}

function hasPreconditions(h: Headers): boolean {
  return h.has("if-none-match") || h.has("if-modified-since") || h.has("if-match") ||
    h.has("if-unmodified-since");
}

/**
 * Serves `entry` for a GET or HEAD request. Synchronous for cached files (the hot path: no promise
 * to allocate and await), a promise when the file has to be opened.
 */
export function respondWithFile(
  req: Request,
  file: FileEntry,
  ctx: RespondContext,
): Response | Promise<Response> {
  const entry = file.precompressed === undefined
    ? file
    : chooseRepresentation(file, req.headers.get("accept-encoding"));
  if (entry.body === null && req.method !== "HEAD" && req.headers.has("range")) {
    // a range is computed from the file's size: open it first so a file changed within the
    // cache's revalidation window is measured as it is now, not as it was at the last stat
    const opened = openFresh(entry, ctx);
    return opened === null ? ctx.notFound(false) : respondOpened(req, opened.entry, ctx, opened);
  }
  return respondOpened(req, entry, ctx, null);
}

/** {@linkcode respondWithFile} with the entry's file already open (and owned) when `file` is set. */
function respondOpened(
  req: Request,
  entry: FileEntry,
  ctx: RespondContext,
  file: Opened | null,
): Response | Promise<Response> {
  try {
    const res = respondEntry(req, entry, ctx, file);
    // every answer that sends the open file is a promise; a synchronous one (304, 412, 416) does not
    if (file !== null && !(res instanceof Promise)) file.file.close();
    return res;
  } catch (err) {
    file?.file.close();
    throw err;
  }
}

function respondEntry(
  req: Request,
  entry: FileEntry,
  ctx: RespondContext,
  file: Opened | null,
): Response | Promise<Response> {
  const h = req.headers;
  const head = req.method === "HEAD";
  const rangeHeader = head ? null : h.get("range");
  let encoding: Encoding | null = null;
  let variant: Variant | null = null;
  // a better coding for this request is being made: this answer must not be replayed as final
  let provisional = false;
  if (entry.compressible && rangeHeader === null) {
    const accept = h.get("accept-encoding");
    // brotli needs the whole body at once; streamed files get gzip only
    encoding = pickEncoding(accept, entry.body !== null);
    if (encoding !== null && entry.body !== null) {
      let made = ctx.cache.variant(entry, encoding);
      if (made === undefined) {
        provisional = true;
        // brotli is never waited for; gzip, if the client takes it, stands in (and starts now)
        const gzip = encoding === "gzip" || pickEncoding(accept, false) === "gzip";
        if (encoding === "br" && gzip) made = ctx.cache.variant(entry, "gzip");
        if (made === undefined && gzip) {
          // a client that takes gzip waits for its own file's gzip, but never behind another's
          const ready = ctx.cache.ready(entry, "gzip");
          if (ready !== undefined) return ready.then(() => respondEntry(req, entry, ctx, file));
        }
      }
      variant = made ?? null;
      encoding = variant === null ? null : encoding;
    }
  }
  const etag = variant?.etag ??
    (encoding !== null ? `${entry.etag.slice(0, -1)}-gzip"` : entry.etag);
  const v: Validators = { etag, baseEtag: entry.etag, mtimeSec: entry.mtimeSec };
  if (hasPreconditions(h)) {
    const status = evaluatePreconditions(h, req.method, v);
    if (status === 304) {
      const held = notModifiedEtag(h.get("if-none-match"), v);
      const headers = held === entry.etag
        ? entry.notModifiedHeaders
        : { ...entry.notModifiedHeaders, etag: held };
      return new Response(null, { status: 304, headers });
    }
    if (status === 412) return ctx.error(412, undefined, head);
  }
  if (rangeHeader !== null && ifRangeAllows(h.get("if-range"), v)) {
    const parsed = parseRange(rangeHeader, entry.size);
    if (parsed.kind === "unsatisfiable" || parsed.kind === "too-many") {
      return ctx.error(416, { "content-range": `bytes */${entry.size}`, "accept-ranges": "bytes" });
    }
    if (parsed.kind === "ranges") return rangeResponse(entry, parsed.ranges, ctx, file);
  }
  if (entry.body !== null) {
    const res = variant !== null
      ? fullResponse(head, variant.body, variant.headerList)
      : fullResponse(head, entry.body, entry.headerList);
    if (provisional) (res as Response & { [PROVISIONAL]?: true })[PROVISIONAL] = true;
    return res;
  }
  return streamedResponse(entry, head, encoding !== null, etag, ctx, file);
}

/**
 * Opens a streamed entry's file, or null when it went away since the cache last looked. open and
 * fstat are synchronous: each costs microseconds on a local disk, where the async pair cost two
 * thread hops per request, which on the epoll engine also wait for the loop to yield.
 */
function openFresh(entry: FileEntry, ctx: RespondContext): Opened | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(entry.path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    // an uncached file may have changed since its last stat; describe what we actually send
    const info = file.statSync();
    return { file, entry: ctx.cache.refresh(entry, info), info };
  } catch (err) {
    file.close();
    throw err;
  }
}

async function streamedResponse(
  stale: FileEntry,
  head: boolean,
  gzip: boolean,
  etag: string,
  ctx: RespondContext,
  open: Opened | null,
): Promise<Response> {
  if (head && !gzip) return new Response(null, { headers: stale.headers });
  const opened = open ?? openFresh(stale, ctx);
  if (opened === null) return await ctx.notFound(head);
  const { file, entry } = opened;
  if (!gzip) {
    return fileResponse(opened, file.readable, 0, entry.size, { headers: entry.headers });
  }
  const headers: Record<string, string> = {
    ...entry.partialHeaders,
    "content-type": entry.contentType,
  };
  delete headers["accept-ranges"];
  headers["etag"] = etag;
  headers["content-encoding"] = "gzip";
  if (head) {
    file.close();
    // GET's length is unknown until compressed: a stream body keeps Deno from claiming 0
    return new Response(ReadableStream.from([]), { headers });
  }
  const gzipped = ctx.compressor?.gzipStream?.(file.readable) ?? gzipStream(file.readable);
  return new Response(gzipped, { headers });
}

/** Opens the entry's file unless the caller already has it open. */
function openFor(
  entry: FileEntry,
  ctx: RespondContext,
  file: Opened | null,
): Promise<Opened | null> {
  return Promise.resolve(file ?? openFresh(entry, ctx));
}

/** The body `start..start+length` of the opened file, streamed by `body`, as a FileResponse. */
function fileResponse(
  opened: Opened,
  body: ReadableStream<Uint8Array>,
  start: number,
  length: number,
  init: ResponseInit,
): Response {
  const { info, entry } = opened;
  return new FileResponse(body, init, {
    path: entry.path,
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    start,
    length,
  });
}

function rangeResponse(
  entry: FileEntry,
  ranges: ByteRange[],
  ctx: RespondContext,
  file: Opened | null,
): Response | Promise<Response> {
  if (ranges.length === 1) {
    const r = ranges[0]!;
    const headers = {
      ...entry.partialHeaders,
      "content-type": entry.contentType,
      "content-range": `bytes ${r.start}-${r.end}/${entry.size}`,
      "content-length": String(r.end - r.start + 1),
    };
    if (entry.body !== null) {
      return new Response(entry.body.subarray(r.start, r.end + 1), { status: 206, headers });
    }
    return openFor(entry, ctx, file).then((opened) =>
      opened === null
        ? ctx.notFound(false)
        : fileResponse(opened, rangeStream(opened.file, r), r.start, r.end - r.start + 1, {
          status: 206,
          headers,
        })
    );
  }
  const boundary = crypto.randomUUID().replaceAll("-", "");
  const parts: Part[] = ranges.map((range) => ({
    range,
    head: encoder.encode(
      `--${boundary}\r\nContent-Type: ${entry.contentType}\r\nContent-Range: bytes ${range.start}-${range.end}/${entry.size}\r\n\r\n`,
    ),
  }));
  // each part's data is followed by CRLF, which we emit as the start of the next delimiter
  for (let i = 1; i < parts.length; i++) {
    parts[i]!.head = concat([encoder.encode("\r\n"), parts[i]!.head]);
  }
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  let length = tail.length;
  for (const p of parts) length += p.head.length + p.range.end - p.range.start + 1;
  const headers = {
    ...entry.partialHeaders,
    "content-type": `multipart/byteranges; boundary=${boundary}`,
    "content-length": String(length),
  };
  if (entry.body !== null) {
    const body = entry.body;
    const chunks = parts.flatMap((p) => [p.head, body.subarray(p.range.start, p.range.end + 1)]);
    return new Response(concat([...chunks, tail]), { status: 206, headers });
  }
  return openFor(entry, ctx, file).then((opened) =>
    opened === null
      ? ctx.notFound(false)
      : new Response(multipartStream(opened.file, parts, tail), { status: 206, headers })
  );
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
