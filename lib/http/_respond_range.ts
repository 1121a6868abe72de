/**
 * The answer to a Range request (RFC 9110 section 14): one range as a 206 with Content-Range,
 * several as multipart/byteranges, none satisfiable as 416.
 *
 * @module
 */
import type { FileEntry } from "./_entry.ts";
import { type ByteRange, parseRange } from "./_range.ts";
import { multipartStream, type Part, rangeStream } from "./_stream.ts";
import { fileResponse, type Opened, openFor, type RespondContext } from "./_respond_file.ts";

const encoder = new TextEncoder();

/** The 206 or 416 a Range header calls for; null when it is ignored (the whole file goes). */
export function rangeAnswer(
  rangeHeader: string,
  entry: FileEntry,
  ctx: RespondContext,
  file: Opened | null,
): Response | Promise<Response> | null {
  const parsed = parseRange(rangeHeader, entry.size);
  if (parsed.kind === "unsatisfiable" || parsed.kind === "too-many") {
    return ctx.error(416, { "content-range": `bytes */${entry.size}`, "accept-ranges": "bytes" });
  }
  if (parsed.kind === "ranges") return rangeResponse(entry, parsed.ranges, ctx, file);
  return null;
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
