/**
 * The bytes of HTTP/1.1 request heads (RFC 9112, RFC 9110): the byte classes, the header names
 * the parser (`_parser.ts`) looks for, and the small parsers of the values it reads. Plain
 * functions over a buffer and offsets: no string is made but by `latin1()` (and `LastLatin1`,
 * which keeps the last one).
 *
 * @module
 */

export const CR = 13, LF = 10, SP = 32, HTAB = 9, COLON = 58;

function table(test: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = test(c) ? 1 : 0;
  return t;
}
const isAlnum = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** token characters (RFC 9110 section 5.6.2) */
export const TCHAR = table((c) => isAlnum(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)));
/** field-vchar, SP and HTAB; obs-text allowed (RFC 9110 section 5.5) */
export const FIELD = table((c) => c === SP || c === HTAB || (c >= 0x21 && c !== 0x7f));
/**
 * request-target bytes: visible ASCII without '#' (a fragment is never sent) and '\\' (not a URI
 * character; URL parsers would read it as '/')
 */
export const TARGET = table((c) => c >= 0x21 && c <= 0x7e && c !== 35 && c !== 92);
/** reg-name and IPv4 bytes: unreserved, sub-delims and '%' (RFC 3986 section 3.2.2) */
const REG_NAME = table((c) => isAlnum(c) || "-._~!$&'()*+,;=%".includes(String.fromCharCode(c)));
/** inside an IP-literal: hex digits, ':' and '.', and IPvFuture's letters */
const IP_LITERAL = table((c) => isAlnum(c) || ":.-_~!$&'()*+,;=".includes(String.fromCharCode(c)));

const enc = new TextEncoder();
const lit = (s: string) => enc.encode(s);
export const N_HOST = lit("host");
export const N_CONNECTION = lit("connection");
export const N_CONTENT_LENGTH = lit("content-length");
export const N_TRANSFER_ENCODING = lit("transfer-encoding");
export const N_EXPECT = lit("expect");
export const N_IF_NONE_MATCH = lit("if-none-match");
export const N_ACCEPT_ENCODING = lit("accept-encoding");
export const N_AUTHORIZATION = lit("authorization");
/** Headers that change what a cached answer would be: their requests go to the handler. */
export const SLOW = [
  "range",
  "if-match",
  "if-modified-since",
  "if-unmodified-since",
  "if-range",
].map(lit);

/** Byte `s..` equals lowercase `name` ignoring ASCII case (names are tokens, so `| 32` is safe). */
export function nameIs(buf: Uint8Array, s: number, len: number, name: Uint8Array): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if ((buf[s + i]! | 32) !== name[i]) return false;
  return true;
}

/** Latin-1 decode of a short slice; HTTP heads are ASCII (obs-text is kept byte for byte). */
export function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

/**
 * The string of the last slice asked for, kept with its bytes: the same bytes again (the same
 * Host or target on request after request, as load generators and most clients send) return that
 * string and make no new one. Slices longer than `max` are decoded each time.
 */
export class LastLatin1 {
  #text = "";
  #bytes: Uint8Array;
  #length = -1;

  constructor(max: number) {
    this.#bytes = new Uint8Array(max);
  }

  /** `latin1(buf, s, e)`, or the string it gave last time for the same bytes. */
  of(buf: Uint8Array, s: number, e: number): string {
    const n = e - s;
    const last = this.#bytes;
    if (n === this.#length) {
      let i = 0;
      while (i < n && buf[s + i] === last[i]) i++;
      if (i === n) return this.#text;
    }
    const text = latin1(buf, s, e);
    if (n <= last.length) {
      for (let i = 0; i < n; i++) last[i] = buf[s + i]!; // no subarray object, as set() needs
      this.#length = n;
      this.#text = text;
    }
    return text;
  }
}

/** Whether `value` is a valid Host: uri-host with an optional port, nothing else. */
export function validAuthority(buf: Uint8Array, s: number, e: number): boolean {
  if (s === e) return false;
  let i = s;
  if (buf[i] === 91 /* [ */) {
    i++;
    const start = i;
    while (i < e && buf[i] !== 93 /* ] */) if (IP_LITERAL[buf[i++]!] === 0) return false;
    if (i === e || i === start) return false;
    i++;
  } else {
    const start = i;
    while (i < e && REG_NAME[buf[i]!] === 1) i++;
    if (i === start) return false;
  }
  if (i === e) return true;
  if (buf[i] !== COLON) return false;
  i++;
  if (e - i > 5) return false;
  let port = 0;
  for (; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return false;
    port = port * 10 + d;
  }
  return port <= 65535;
}

/** Where `target` starts its path in an absolute-form target, or -1 when it is not one. */
export function absoluteScheme(buf: Uint8Array, s: number, e: number): number {
  // "http://" or "https://", any case
  const isH = (c: number | undefined, ch: number) => c !== undefined && (c | 32) === ch;
  if (!(isH(buf[s], 104) && isH(buf[s + 1], 116) && isH(buf[s + 2], 116) && isH(buf[s + 3], 112))) {
    return -1;
  }
  let i = s + 4;
  if (isH(buf[i], 115)) i++;
  if (e - i < 3 || buf[i] !== COLON || buf[i + 1] !== 47 || buf[i + 2] !== 47) return -1;
  return i + 3;
}

export const EXPECT_CONTINUE = lit("100-continue");
const T_CLOSE = lit("close");
const T_KEEP_ALIVE = lit("keep-alive");
const T_CHUNKED = lit("chunked");

/** Bit 1: a `close` token; bit 2: a `keep-alive` token. */
export function connectionTokens(buf: Uint8Array, s: number, e: number): number {
  let out = 0;
  let i = s;
  while (i < e) {
    while (i < e && (buf[i] === SP || buf[i] === HTAB || buf[i] === 44)) i++;
    const t = i;
    while (i < e && buf[i] !== 44 && buf[i] !== SP && buf[i] !== HTAB) i++;
    if (nameIs(buf, t, i - t, T_CLOSE)) out |= 1;
    else if (nameIs(buf, t, i - t, T_KEEP_ALIVE)) out |= 2;
  }
  return out;
}

/** {@link transferCodings}: the list's last coding is `chunked`. */
export const TE_LAST_CHUNKED = 1;
/** {@link transferCodings}: a coding other than `chunked` is listed (or one with parameters). */
export const TE_OTHER = 2;
/** {@link transferCodings}: how many times `chunked` is listed, in the bits from this one up. */
export const TE_CHUNKED_ONE = 4;

/**
 * The transfer codings of one Transfer-Encoding line (RFC 9112 section 6.1), as bits: the list's
 * last coding is `chunked` ({@link TE_LAST_CHUNKED}), another coding is listed ({@link TE_OTHER}),
 * and `chunked`'s count times {@link TE_CHUNKED_ONE}. An empty line sets no bit.
 */
export function transferCodings(buf: Uint8Array, s: number, e: number): number {
  let out = 0;
  let i = s;
  while (i < e) {
    while (i < e && (buf[i] === SP || buf[i] === HTAB || buf[i] === 44)) i++;
    const t = i;
    while (i < e && buf[i] !== 44) i++;
    let end = i;
    while (end > t && (buf[end - 1] === SP || buf[end - 1] === HTAB)) end--;
    if (end === t) continue;
    if (nameIs(buf, t, end - t, T_CHUNKED)) out = (out | TE_LAST_CHUNKED) + TE_CHUNKED_ONE;
    else out = (out | TE_OTHER) & ~TE_LAST_CHUNKED;
  }
  return out;
}

/** 1*DIGIT, at most 15 of them (below 2^53); -1 for anything else, lists included. */
export function contentLength(buf: Uint8Array, s: number, e: number): number {
  if (e === s || e - s > 15) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
