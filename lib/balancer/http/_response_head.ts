/**
 * A strict HTTP/1.x response-head parser for the http-mode proxy: the status line, the fields
 * (as offsets, see `_fields.ts`) and how the body is framed (RFC 9112 section 6.3). A pure
 * producer: bytes in, a length and fields out, no I/O. The bench's parser
 * (`lib/bench/_http_parser.ts`) counts bytes leniently for a load generator and keeps no
 * fields; a proxy must copy the fields it keeps and refuse what it cannot frame, so this one
 * shares the request parser's byte classes instead.
 *
 * @module
 */
import {
  contentLength,
  FIELD,
  TE_CHUNKED_ONE,
  TE_LAST_CHUNKED,
  transferCodings,
} from "../../http1/_head_bytes.ts";
import { Fields, N_CONTENT_LENGTH, N_TRANSFER_ENCODING } from "./_fields.ts";

/** How a message's body is delimited. */
export const Framing = {
  /** No body (HEAD, 1xx, 204, 304, or a request without one). */
  None: 0,
  /** Content-Length bytes. */
  Length: 1,
  /** Chunked transfer coding. */
  Chunked: 2,
  /** Until the connection closes (a response only). */
  Close: 3,
} as const;
/** One of {@link Framing}'s values. */
export type Framing = typeof Framing[keyof typeof Framing];

/** Largest response head kept while it arrives; larger is a broken response (502). */
export const MAX_RESPONSE_HEAD = 64 * 1024;
/** `parse()`: not complete yet. */
export const INCOMPLETE = 0;
/** `parse()`: malformed, or framing the proxy cannot trust (502). */
export const INVALID = -1;

/** The last response head parsed; one instance per loop. */
export class ResponseHead {
  status = 0;
  /** 0 for HTTP/1.0, 1 for 1.1. */
  minor = 1;
  framing: Framing = Framing.None;
  contentLength = -1;
  /** The backend keeps the connection open after this response. */
  keepAlive = true;
  /** Where the status line's text after the version starts (" 200 OK\r\n"), and ends. */
  statusStart = 0;
  statusEnd = 0;
  readonly fields: Fields = new Fields();

  /**
   * Parses the head at `buf[start..end)`.
   *
   * @param head the request was HEAD (no body follows whatever the fields say)
   * @returns the head's length, {@link INCOMPLETE} or {@link INVALID}
   */
  parse(buf: Uint8Array, start: number, end: number, head: boolean): number {
    const lf = buf.indexOf(10, start);
    if (lf < 0 || lf >= end) return end - start >= MAX_RESPONSE_HEAD ? INVALID : INCOMPLETE;
    const s = start;
    // "HTTP/1.x SSS" then SP reason, or nothing
    if (
      lf - s < 13 || buf[lf - 1] !== 13 || buf[s] !== 72 || buf[s + 1] !== 84 ||
      buf[s + 2] !== 84 || buf[s + 3] !== 80 || buf[s + 4] !== 47 || buf[s + 5] !== 49 ||
      buf[s + 6] !== 46 || (buf[s + 7] !== 48 && buf[s + 7] !== 49) || buf[s + 8] !== 32
    ) return INVALID;
    const status = digit(buf[s + 9]!) * 100 + digit(buf[s + 10]!) * 10 + digit(buf[s + 11]!);
    if (!(status >= 100 && status <= 599)) return INVALID;
    if (lf - 1 > s + 12 && buf[s + 12] !== 32) return INVALID;
    for (let i = s + 13; i < lf - 1; i++) if (FIELD[buf[i]!] === 0) return INVALID;
    this.status = status;
    this.minor = buf[s + 7] === 49 ? 1 : 0;
    this.statusStart = s + 8;
    this.statusEnd = lf + 1;
    const fields = this.fields;
    const stop = fields.scan(buf, lf + 1, end);
    if (stop === 0) return end - start >= MAX_RESPONSE_HEAD ? INVALID : INCOMPLETE;
    if (stop < 0 || stop - start > MAX_RESPONSE_HEAD) return INVALID;
    if (!this.#frame(head)) return INVALID;
    return stop - start;
  }

  /** Picks the framing; false when it is ambiguous (smuggling material: refused). */
  #frame(head: boolean): boolean {
    const f = this.fields;
    const buf = f.buf;
    let length = -1, te = false, chunked = false;
    for (let i = 0; i < f.count; i++) {
      const o = i * 4;
      if (f.is(i, N_CONTENT_LENGTH)) {
        const n = contentLength(buf, f.at[o + 2]!, f.at[o + 3]!);
        if (n < 0 || (length >= 0 && n !== length)) return false;
        length = n;
      } else if (f.is(i, N_TRANSFER_ENCODING)) {
        if (te) return false; // one field, or a list we would have to join: refused
        te = true;
        const codings = transferCodings(buf, f.at[o + 2]!, f.at[o + 3]!);
        if (codings >= 2 * TE_CHUNKED_ONE) return false; // chunked twice: refused
        chunked = (codings & TE_LAST_CHUNKED) !== 0;
      }
    }
    if (te && (length >= 0 || this.minor === 0)) return false;
    this.contentLength = length;
    this.keepAlive = this.minor === 1 ? !f.close : f.keepAlive && !f.close;
    const s = this.status;
    if (head || s < 200 || s === 204 || s === 304) {
      this.framing = Framing.None;
    } else if (te) {
      this.framing = chunked ? Framing.Chunked : Framing.Close;
      if (!chunked) this.keepAlive = false;
    } else if (length >= 0) {
      this.framing = Framing.Length;
    } else {
      this.framing = Framing.Close;
      this.keepAlive = false;
    }
    return true;
  }
}

function digit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : NaN;
}
