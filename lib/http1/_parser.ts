/**
 * A strict HTTP/1.1 request-head parser (RFC 9112) over bytes. One instance per event loop: it
 * keeps the last head it parsed in its own fields, so parsing allocates only the few strings a
 * request needs (method, target, and the headers the engine reads).
 *
 * @module
 */
import * as bytes from "./_head_bytes.ts";

// Copied into this module's own constants rather than used as imported bindings: the parse loop
// reads them per byte and per header, and with the imports used directly parse() measured ~6-10%
// slower (V8 seems to load an import through its module cell each time, where it folds a constant).
const {
  absoluteScheme,
  COLON,
  connectionTokens,
  contentLength,
  CR,
  EXPECT_CONTINUE,
  FIELD,
  HTAB,
  latin1,
  LF,
  N_ACCEPT_ENCODING,
  N_AUTHORIZATION,
  N_CONNECTION,
  N_CONTENT_LENGTH,
  N_EXPECT,
  N_HOST,
  N_IF_NONE_MATCH,
  N_TRANSFER_ENCODING,
  nameIs,
  SLOW,
  SP,
  TARGET,
  TCHAR,
  TE_CHUNKED_ONE,
  TE_LAST_CHUNKED,
  TE_OTHER,
  transferCodings,
  validAuthority,
} = bytes;

/** `parse()` found no complete head yet: read more. */
export const INCOMPLETE = 0;

/** Longest request line (RFC 9112 recommends supporting at least 8000 octets); longer is 414. */
export const MAX_REQUEST_LINE = 8 * 1024;
/** Largest header section (after the request line); larger is 431. */
export const MAX_HEADER_BYTES = 32 * 1024;
/** Most header fields; more is 431. */
export const MAX_FIELDS = 100;
/** Empty lines skipped before a request line (RFC 9112 section 2.2). */
const MAX_LEADING_EMPTY = 8;

/**
 * Parses request heads. After `parse()` returns a positive length, the fields describe that
 * request; the header offsets stay valid only until the buffer is reused, so the caller reads
 * `fields()` before returning to the event loop.
 */
export class RequestParser {
  method = "";
  /** origin-form target (path and query); "/..." from an absolute-form target; "*" for OPTIONS */
  target = "";
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 and later 1.x */
  minor = 1;
  /** The authority that names the resource (absolute-form's, else Host's); null when none. */
  host: string | null = null;
  /** The target was in absolute form: its authority replaces the Host header. */
  absolute = false;
  keepAlive = true;
  /** -1 when the request has no Content-Length */
  contentLength = -1;
  chunked = false;
  expectContinue = false;
  /** No header that changes the answer from a cached one (ranges, preconditions but INM). */
  plain = true;
  ifNoneMatch: string | null = null;
  acceptEncoding: string | null = null;
  /** Part of the fast path's key: an answer given to credentials is replayed to those alone. */
  authorization: string | null = null;
  /** Number of header fields; their offsets are in `#offsets`. */
  fieldCount = 0;
  #offsets = new Int32Array(MAX_FIELDS * 4);
  #buf: Uint8Array = new Uint8Array(0);

  /**
   * Parses the head at `buf[start..end)`.
   *
   * @returns the head's length in bytes, {@link INCOMPLETE}, or minus the status to answer
   *   (-400, -414, -431, -501, -505, -417) after which the connection closes
   */
  parse(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    // a few empty lines before a request line are tolerated
    for (let k = 0; k < MAX_LEADING_EMPTY && p < end && buf[p] === CR; k++) {
      if (p + 1 >= end) return INCOMPLETE;
      if (buf[p + 1] !== LF) return -400;
      p += 2;
    }
    const lf = buf.indexOf(LF, p);
    if (lf < 0 || lf >= end) {
      if (end - p > MAX_REQUEST_LINE) return -414;
      return INCOMPLETE;
    }
    if (lf - p > MAX_REQUEST_LINE) return -414;
    const status = this.#requestLine(buf, p, lf);
    if (status !== 0) return status;
    // header section
    this.#reset(buf);
    const sectionStart = lf + 1;
    let line = sectionStart;
    let hosts = 0;
    let te = false;
    let teChunked = 0, teOther = false;
    let closeToken = false, keepAliveToken = false;
    while (true) {
      if (line - sectionStart > MAX_HEADER_BYTES) return -431;
      if (line >= end) return end - sectionStart > MAX_HEADER_BYTES ? -431 : INCOMPLETE;
      const first = buf[line]!;
      if (first === CR) {
        if (line + 1 >= end) return INCOMPLETE;
        if (buf[line + 1] !== LF) return -400;
        line += 2;
        break;
      }
      if (first === SP || first === HTAB) return -400; // obs-fold, or whitespace before a name
      // name
      let i = line;
      while (i < end && TCHAR[buf[i]!] === 1) i++;
      if (i >= end) return end - sectionStart > MAX_HEADER_BYTES ? -431 : INCOMPLETE;
      if (buf[i] !== COLON || i === line) return -400; // includes whitespace before the colon
      const nameEnd = i;
      i++;
      while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
      const valueStart = i;
      while (i < end && FIELD[buf[i]!] === 1) i++;
      if (i + 1 >= end) return end - sectionStart > MAX_HEADER_BYTES ? -431 : INCOMPLETE;
      if (buf[i] !== CR || buf[i + 1] !== LF) return -400; // bare CR, bare LF, NUL, DEL...
      let valueEnd = i;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) {
        valueEnd--;
      }
      if (this.fieldCount === MAX_FIELDS) return -431;
      const o = this.fieldCount++ * 4;
      const offs = this.#offsets;
      offs[o] = line;
      offs[o + 1] = nameEnd;
      offs[o + 2] = valueStart;
      offs[o + 3] = valueEnd;
      const nameLen = nameEnd - line;
      switch (nameLen) {
        case 4:
          if (nameIs(buf, line, nameLen, N_HOST)) {
            if (
              // an empty Host is refused too: an http URI has a host (RFC 9110 section 4.2.1)
              ++hosts > 1 || !validAuthority(buf, valueStart, valueEnd)
            ) {
              return -400;
            }
            if (this.host === null) this.host = latin1(buf, valueStart, valueEnd);
          }
          break;
        case 10:
          if (nameIs(buf, line, nameLen, N_CONNECTION)) {
            const t = connectionTokens(buf, valueStart, valueEnd);
            closeToken ||= (t & 1) !== 0;
            keepAliveToken ||= (t & 2) !== 0;
          }
          break;
        case 14:
          if (nameIs(buf, line, nameLen, N_CONTENT_LENGTH)) {
            const n = contentLength(buf, valueStart, valueEnd);
            if (n < 0 || (this.contentLength >= 0 && n !== this.contentLength)) return -400;
            this.contentLength = n;
          }
          break;
        case 17:
          if (nameIs(buf, line, nameLen, N_TRANSFER_ENCODING)) {
            te = true;
            const t = transferCodings(buf, valueStart, valueEnd);
            // the lines make one list: counts add up, the last line with codings ends it
            if (t !== 0) {
              teChunked += Math.floor(t / TE_CHUNKED_ONE);
              teOther ||= (t & TE_OTHER) !== 0;
              this.chunked = (t & TE_LAST_CHUNKED) !== 0;
            }
          }
          break;
        case 6:
          if (nameIs(buf, line, nameLen, N_EXPECT)) {
            if (!nameIs(buf, valueStart, valueEnd - valueStart, EXPECT_CONTINUE)) return -417;
            this.expectContinue = true;
          }
          break;
        case 13:
          if (nameIs(buf, line, nameLen, N_IF_NONE_MATCH)) {
            if (this.ifNoneMatch !== null) this.plain = false; // the handler sees them joined
            this.ifNoneMatch = latin1(buf, valueStart, valueEnd);
          } else if (nameIs(buf, line, nameLen, N_AUTHORIZATION)) {
            if (this.authorization !== null) this.plain = false;
            this.authorization = latin1(buf, valueStart, valueEnd);
          }
          break;
        case 15:
          if (nameIs(buf, line, nameLen, N_ACCEPT_ENCODING)) {
            if (this.acceptEncoding !== null) this.plain = false;
            this.acceptEncoding = latin1(buf, valueStart, valueEnd);
          }
          break;
      }
      if (this.plain) {
        for (const slow of SLOW) if (nameIs(buf, line, nameLen, slow)) this.plain = false;
      }
      line = i + 2;
    }
    if (te) {
      // RFC 9112 section 6.1: framing is faulty with TE on 1.0, with CL, not ending in chunked, or
      // chunked twice; another coding is one this server does not implement (6.1: 501)
      if (this.minor === 0 || this.contentLength >= 0 || !this.chunked || teChunked > 1) {
        return -400;
      }
      if (teOther) return -501;
    }
    if (this.minor === 1 && hosts === 0) return -400;
    this.absolute = this.#absoluteHost !== null;
    if (this.absolute) this.host = this.#absoluteHost;
    this.keepAlive = this.minor === 1 ? !closeToken : keepAliveToken && !closeToken;
    return line - start;
  }

  /** The header fields as `[name, value]` pairs, names as sent. Valid until the buffer is reused. */
  fields(): [string, string][] {
    const out: [string, string][] = [];
    const buf = this.#buf;
    const offs = this.#offsets;
    for (let f = 0; f < this.fieldCount; f++) {
      const o = f * 4;
      out.push([latin1(buf, offs[o]!, offs[o + 1]!), latin1(buf, offs[o + 2]!, offs[o + 3]!)]);
    }
    return out;
  }

  #absoluteHost: string | null = null;
  /** The last origin-form target, bytes and string: a client asking again costs no new string. */
  #lastTarget = "";
  #lastTargetBytes = new Uint8Array(256);
  #lastTargetLength = -1;

  #methodOf(buf: Uint8Array, s: number, e: number): string {
    const n = e - s;
    if (n === 3 && buf[s] === 71 && buf[s + 1] === 69 && buf[s + 2] === 84) return "GET";
    if (n === 4 && buf[s] === 72 && buf[s + 1] === 69 && buf[s + 2] === 65 && buf[s + 3] === 68) {
      return "HEAD";
    }
    return latin1(buf, s, e);
  }

  #targetOf(buf: Uint8Array, s: number, e: number): string {
    const n = e - s;
    const last = this.#lastTargetBytes;
    if (n === this.#lastTargetLength) {
      let i = 0;
      while (i < n && buf[s + i] === last[i]) i++;
      if (i === n) return this.#lastTarget;
    }
    const target = latin1(buf, s, e);
    if (n <= last.length) {
      last.set(buf.subarray(s, e));
      this.#lastTargetLength = n;
      this.#lastTarget = target;
    }
    return target;
  }

  #reset(buf: Uint8Array): void {
    this.#buf = buf;
    this.host = null;
    this.keepAlive = true;
    this.contentLength = -1;
    this.chunked = false;
    this.expectContinue = false;
    this.plain = true;
    this.ifNoneMatch = null;
    this.acceptEncoding = null;
    this.authorization = null;
    this.fieldCount = 0;
  }

  /** Parses `method SP target SP HTTP/x.y CRLF`; returns 0 or minus a status. */
  #requestLine(buf: Uint8Array, s: number, lf: number): number {
    if (lf === s || buf[lf - 1] !== CR) return -400;
    const e = lf - 1;
    let i = s;
    while (i < e && TCHAR[buf[i]!] === 1) i++;
    if (i === s || buf[i] !== SP) return -400;
    const methodEnd = i;
    const targetStart = ++i;
    while (i < e && TARGET[buf[i]!] === 1) i++;
    if (i === targetStart || buf[i] !== SP) return -400;
    const targetEnd = i++;
    // exactly "HTTP/" DIGIT "." DIGIT
    if (
      e - i !== 8 || buf[i] !== 72 || buf[i + 1] !== 84 || buf[i + 2] !== 84 || buf[i + 3] !== 80 ||
      buf[i + 4] !== 47 || buf[i + 6] !== 46
    ) return -400;
    const major = buf[i + 5]! - 48, minor = buf[i + 7]! - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return -400;
    if (major !== 1) return -505;
    this.minor = minor === 0 ? 0 : 1;
    this.method = this.#methodOf(buf, s, methodEnd);
    this.#absoluteHost = null;
    const first = buf[targetStart];
    if (first === 47 /* / */) {
      this.target = this.#targetOf(buf, targetStart, targetEnd);
      return 0;
    }
    if (first === 42 /* * */ && targetEnd - targetStart === 1) {
      if (this.method !== "OPTIONS") return -400;
      this.target = "*";
      return 0;
    }
    if (this.method === "CONNECT") {
      // authority-form; the engine refuses CONNECT itself
      if (!validAuthority(buf, targetStart, targetEnd)) return -400;
      this.target = latin1(buf, targetStart, targetEnd);
      return 0;
    }
    const auth = absoluteScheme(buf, targetStart, targetEnd);
    if (auth < 0) return -400;
    let pathAt = auth;
    while (pathAt < targetEnd && buf[pathAt] !== 47 && buf[pathAt] !== 63 /* ? */) pathAt++;
    if (!validAuthority(buf, auth, pathAt)) return -400;
    this.#absoluteHost = latin1(buf, auth, pathAt);
    const rest = latin1(buf, pathAt, targetEnd);
    this.target = rest.startsWith("/") ? rest : `/${rest}`;
    return 0;
  }
}
