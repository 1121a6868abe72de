/**
 * A response's header block, parsed as the raw engine's parser needs it: the status, and what
 * frames the body (`Content-Length`, `Transfer-Encoding: chunked`, `Connection`), plus `Server`
 * when asked. A pure producer over bytes: no I/O, no strings but the one asked for.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

const NAME_CONTENT_LENGTH = bytes("content-length");
const NAME_TRANSFER_ENCODING = bytes("transfer-encoding");
const NAME_CONNECTION = bytes("connection");
const NAME_SERVER = bytes("server");

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A response the parser cannot read. */
export class HttpParseError extends Error {
  override name = "HttpParseError";
}

/** What a header block says; one object per parser, overwritten by each block. */
export interface ResponseHead {
  status: number;
  /** The connection ends after this response (HTTP/1.0 without keep-alive, or `close`). */
  close: boolean;
  chunked: boolean;
  /** `Content-Length`, or -1 without one. */
  contentLength: number;
  /** `Server`, when asked for and present, else null. */
  server: string | null;
}

/** A fresh {@link ResponseHead}. */
export function newResponseHead(): ResponseHead {
  return { status: 0, close: false, chunked: false, contentLength: -1, server: null };
}

/**
 * Parses the complete header block `b[s, e)` (terminator included) into `out`.
 *
 * @throws {HttpParseError} when the status line or a framing header is malformed
 */
export function parseResponseHead(
  b: Uint8Array,
  s: number,
  e: number,
  captureServer: boolean,
  out: ResponseHead,
): void {
  // "HTTP/1.x SSS"
  if (
    e - s < 12 || b[s] !== 0x48 || b[s + 1] !== 0x54 || b[s + 2] !== 0x54 || b[s + 3] !== 0x50 ||
    b[s + 4] !== 0x2f
  ) {
    throw new HttpParseError("response does not start with an HTTP/1.x status line");
  }
  const status = digit(b[s + 9]) * 100 + digit(b[s + 10]) * 10 + digit(b[s + 11]);
  if (!(status >= 100 && status <= 999)) throw new HttpParseError("invalid status code");
  out.status = status;
  out.close = b[s + 7] !== 0x31;
  out.chunked = false;
  out.contentLength = -1;
  out.server = null;
  let ls = s;
  while (b[ls] !== LF) ls++;
  ls++;
  while (ls < e) {
    let le = ls;
    while (le < e && b[le] !== LF) le++;
    const lineEnd = le > ls && b[le - 1] === CR ? le - 1 : le;
    if (lineEnd > ls) headerLine(b, ls, lineEnd, captureServer, out);
    ls = le + 1;
  }
}

/** One header line `b[ls, lineEnd)` (no line break): notes it in `out` if it frames the body. */
function headerLine(
  b: Uint8Array,
  ls: number,
  lineEnd: number,
  captureServer: boolean,
  out: ResponseHead,
): void {
  let colon = ls;
  while (colon < lineEnd && b[colon] !== 0x3a) colon++;
  if (colon === lineEnd) return;
  let vs = colon + 1;
  while (vs < lineEnd && (b[vs] === 0x20 || b[vs] === 0x09)) vs++;
  let ve = lineEnd;
  while (ve > vs && (b[ve - 1] === 0x20 || b[ve - 1] === 0x09)) ve--;
  const first = b[ls]! | 0x20;
  if (first === 0x63) {
    if (nameIs(b, ls, colon, NAME_CONTENT_LENGTH)) {
      out.contentLength = parseDecimal(b, vs, ve);
    } else if (nameIs(b, ls, colon, NAME_CONNECTION)) {
      if (contains(b, vs, ve, "close")) out.close = true;
      else if (contains(b, vs, ve, "keep-alive")) out.close = false;
    }
  } else if (first === 0x74 && nameIs(b, ls, colon, NAME_TRANSFER_ENCODING)) {
    out.chunked = contains(b, vs, ve, "chunked");
  } else if (first === 0x73 && captureServer && nameIs(b, ls, colon, NAME_SERVER)) {
    out.server = new TextDecoder().decode(b.subarray(vs, ve));
  }
}

/** Index just past the blank line ending a header block in `b[s, e)`, or -1. */
export function findHeaderEnd(b: Uint8Array, s: number, e: number): number {
  // A plain loop: Uint8Array.prototype.indexOf costs more per call than it saves on short lines.
  for (let i = s; i < e; i++) {
    if (b[i] !== LF) continue;
    if (i + 1 < e && b[i + 1] === LF) return i + 2;
    if (i + 2 < e && b[i + 1] === CR && b[i + 2] === LF) return i + 3;
  }
  return -1;
}

function digit(c: number | undefined): number {
  return c !== undefined && c >= 0x30 && c <= 0x39 ? c - 0x30 : NaN;
}

function nameIs(b: Uint8Array, s: number, e: number, name: Uint8Array): boolean {
  if (e - s !== name.length) return false;
  for (let i = 0; i < name.length; i++) if ((b[s + i]! | 0x20) !== name[i]) return false;
  return true;
}

function parseDecimal(b: Uint8Array, s: number, e: number): number {
  if (s >= e) throw new HttpParseError("invalid Content-Length");
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = digit(b[i]);
    if (Number.isNaN(d)) throw new HttpParseError("invalid Content-Length");
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) throw new HttpParseError("invalid Content-Length");
  }
  return n;
}

/** Case-insensitive search for an ASCII lowercase `word` in `b[s, e)`. */
function contains(b: Uint8Array, s: number, e: number, word: string): boolean {
  outer: for (let i = s; i + word.length <= e; i++) {
    for (let j = 0; j < word.length; j++) {
      if ((b[i + j]! | 0x20) !== word.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}
