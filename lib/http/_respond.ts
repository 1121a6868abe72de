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
import { PROVISIONAL } from "./compressor.ts";
import { fileResponse, type Opened, openFresh, type RespondContext } from "./_respond_file.ts";
import { rangeAnswer } from "./_respond_range.ts";
import { chooseRepresentation } from "./_precompressed.ts";

export type { RespondContext };

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
    const refused = preconditionAnswer(req, entry, v, ctx);
    if (refused !== null) return refused;
  }
  if (rangeHeader !== null && ifRangeAllows(h.get("if-range"), v)) {
    const ranged = rangeAnswer(rangeHeader, entry, ctx, file);
    if (ranged !== null) return ranged;
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

/** The 304 or 412 the request's preconditions call for (RFC 9110 section 13.2); null for none. */
function preconditionAnswer(
  req: Request,
  entry: FileEntry,
  v: Validators,
  ctx: RespondContext,
): Response | null {
  const h = req.headers;
  const status = evaluatePreconditions(h, req.method, v);
  if (status === 304) {
    const held = notModifiedEtag(h.get("if-none-match"), v);
    const headers = held === entry.etag
      ? entry.notModifiedHeaders
      : { ...entry.notModifiedHeaders, etag: held };
    return new Response(null, { status: 304, headers });
  }
  if (status === 412) return ctx.error(412, undefined, req.method === "HEAD");
  return null;
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
