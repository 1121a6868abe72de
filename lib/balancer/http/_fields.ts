/**
 * The header fields of an HTTP/1.1 head as offsets into its buffer (no strings), and which of
 * them are hop-by-hop (RFC 9110 section 7.6.1): what the http-mode proxy reads to copy a head
 * from one side to the other. Built on the byte classes of the request parser
 * (`lib/http1/_head_bytes.ts`), so a field the request parser accepts scans the same here.
 *
 * @module
 */
import { COLON, CR, FIELD, HTAB, LF, nameIs, SP, TCHAR } from "../../http1/_head_bytes.ts";

/** Most header fields a head may have (as the request parser: more is refused). */
export const MAX_FIELDS = 100;
/** Connection tokens remembered per head (names of further hop-by-hop fields). */
const MAX_TOKENS = 16;

const enc = new TextEncoder();
const lit = (s: string) => enc.encode(s);
export const N_CONNECTION = lit("connection");
export const N_CONTENT_LENGTH = lit("content-length");
export const N_TRANSFER_ENCODING = lit("transfer-encoding");
export const N_UPGRADE = lit("upgrade");
export const N_HOST = lit("host");
export const N_XFF = lit("x-forwarded-for");
export const N_XFP = lit("x-forwarded-proto");
export const N_FORWARDED = lit("forwarded");
const N_KEEP_ALIVE = lit("keep-alive");
const N_TE = lit("te");
const N_PROXY_CONNECTION = lit("proxy-connection");
const T_CLOSE = lit("close");
const T_UPGRADE = lit("upgrade");

/**
 * The fields of one head: `[nameStart, nameEnd, valueStart, valueEnd]` per field, and the
 * tokens of its Connection fields. One instance per loop, reused for every head; offsets are
 * valid until the buffer they point into is reused.
 */
export class Fields {
  count = 0;
  readonly at = new Int32Array(MAX_FIELDS * 4);
  /** Connection tokens as `[start, end)` pairs, `close` and `keep-alive` among them. */
  tokens = 0;
  readonly tokenAt = new Int32Array(MAX_TOKENS * 2);
  /** A `close` token was among them. */
  close = false;
  /** A `keep-alive` token was among them. */
  keepAlive = false;
  /** An `upgrade` token was among them. */
  upgrade = false;
  /** A hop-by-hop field is among them (see {@link hopByHop}): the head cannot go on as it came. */
  hop = false;
  buf: Uint8Array = new Uint8Array(0);
  /** Where the empty line that ends the section starts. */
  end = 0;

  /**
   * Scans the field lines at `buf[start..end)`, which end with the empty line.
   *
   * @returns the offset just past the empty line, 0 when the section is not complete yet, or
   *   -1 when a line is malformed (obs-fold, a bare CR or LF, a bad name) or there are too many
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    this.buf = buf;
    this.count = 0;
    this.tokens = 0;
    this.close =
      this.keepAlive =
      this.upgrade =
      this.hop =
        false;
    let line = start;
    while (true) {
      if (line >= end) return 0;
      const first = buf[line]!;
      if (first === CR) {
        if (line + 1 >= end) return 0;
        this.end = line;
        return buf[line + 1] === LF ? line + 2 : -1;
      }
      let i = line;
      while (i < end && TCHAR[buf[i]!] === 1) i++;
      if (i >= end) return 0;
      if (buf[i] !== COLON || i === line) return -1;
      const nameEnd = i++;
      while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
      const valueStart = i;
      while (i < end && FIELD[buf[i]!] === 1) i++;
      if (i + 1 >= end) return 0;
      if (buf[i] !== CR || buf[i + 1] !== LF) return -1;
      let valueEnd = i;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) {
        valueEnd--;
      }
      if (this.count === MAX_FIELDS) return -1;
      const o = this.count++ * 4;
      const at = this.at;
      at[o] = line;
      at[o + 1] = nameEnd;
      at[o + 2] = valueStart;
      at[o + 3] = valueEnd;
      const len = nameEnd - line;
      if (len === 10 && nameIs(buf, line, len, N_CONNECTION)) {
        this.hop = true;
        this.#tokens(valueStart, valueEnd);
      } else if (
        !this.hop && (len === 2 || len === 7 || len === 10 || len === 16 || len === 17) &&
        this.hopByHop(this.count - 1)
      ) this.hop = true;
      line = i + 2;
    }
  }

  #tokens(s: number, e: number): void {
    const buf = this.buf;
    let i = s;
    while (i < e) {
      while (i < e && (buf[i] === SP || buf[i] === HTAB || buf[i] === 44)) i++;
      const t = i;
      while (i < e && buf[i] !== 44 && buf[i] !== SP && buf[i] !== HTAB) i++;
      if (i === t) continue;
      if (nameIs(buf, t, i - t, T_CLOSE)) this.close = true;
      else if (nameIs(buf, t, i - t, N_KEEP_ALIVE)) this.keepAlive = true;
      else if (nameIs(buf, t, i - t, T_UPGRADE)) this.upgrade = true;
      if (this.tokens < MAX_TOKENS) {
        this.tokenAt[this.tokens * 2] = t;
        this.tokenAt[this.tokens * 2 + 1] = i;
        this.tokens++;
      }
    }
  }

  /** Whether field `f`'s name is `name` (lowercase). */
  is(f: number, name: Uint8Array): boolean {
    const o = f * 4;
    return nameIs(this.buf, this.at[o]!, this.at[o + 1]! - this.at[o]!, name);
  }

  /**
   * Whether field `f` is hop-by-hop: Connection, Keep-Alive, TE, Transfer-Encoding,
   * Proxy-Connection, Upgrade, or a field the Connection fields name. The caller re-frames the
   * message and, for a tunnel, writes Upgrade itself.
   */
  hopByHop(f: number): boolean {
    const buf = this.buf;
    const o = f * 4;
    const s = this.at[o]!, len = this.at[o + 1]! - s;
    switch (len) {
      case 2:
        if (nameIs(buf, s, len, N_TE)) return true;
        break;
      case 7:
        if (nameIs(buf, s, len, N_UPGRADE)) return true;
        break;
      case 10:
        if (nameIs(buf, s, len, N_CONNECTION) || nameIs(buf, s, len, N_KEEP_ALIVE)) return true;
        break;
      case 16:
        if (nameIs(buf, s, len, N_PROXY_CONNECTION)) return true;
        break;
      case 17:
        if (nameIs(buf, s, len, N_TRANSFER_ENCODING)) return true;
        break;
    }
    for (let t = 0; t < this.tokens; t++) {
      const ts = this.tokenAt[t * 2]!, te = this.tokenAt[t * 2 + 1]!;
      if (te - ts !== len) continue;
      let i = 0;
      while (i < len && (buf[s + i]! | 32) === (buf[ts + i]! | 32)) i++;
      if (i === len) return true;
    }
    return false;
  }

  /** Index of the last field named `name`, or -1. */
  last(name: Uint8Array): number {
    for (let f = this.count - 1; f >= 0; f--) if (this.is(f, name)) return f;
    return -1;
  }
}
