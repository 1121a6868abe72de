/**
 * A strict HTTP/1.1 request-head parser (RFC 9112) over bytes. One instance per event loop: it
 * keeps the last head it parsed in its own fields, so parsing allocates only the few strings a
 * request needs (method, target, and the headers the engine reads). The request line is
 * `_request_line.ts`; here is the header section: each field read, then the framing judged.
 *
 * @module
 */
import * as bytes from "./_head_bytes.ts";
import { RequestLineParser } from "./_request_line.ts";

// Copied into this module's own constants rather than used as imported bindings: the parse loop
// reads them per byte and per header, and with the imports used directly parse() measured ~6-10%
// slower (V8 seems to load an import through its module cell each time, where it folds a constant).
const {
  COLON,
  connectionTokens,
  contentLength,
  CR,
  EXPECT_CONTINUE,
  FIELD,
  HTAB,
  LastLatin1,
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
export class RequestParser extends RequestLineParser {
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
    if (lf < 0 || lf >= end) return end - p > MAX_REQUEST_LINE ? -414 : INCOMPLETE;
    if (lf - p > MAX_REQUEST_LINE) return -414;
    const head = this.requestLine(buf, p, lf);
    if (head !== 0) return head;
    const sectionStart = lf + 1;
    this.#reset(buf);
    let line = sectionStart;
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
      const status = this.#framingField(buf, line, nameEnd - line, valueStart, valueEnd);
      if (status !== 0) return status;
      this.#answerField(buf, line, nameEnd - line, valueStart, valueEnd);
      line = i + 2;
    }
    const status = this.#framing();
    return status !== 0 ? status : line - start;
  }

  /** Reads a field that frames the request (Host, Connection, lengths, Expect); 0 or -status. */
  #framingField(buf: Uint8Array, name: number, nameLen: number, vs: number, ve: number): number {
    switch (nameLen) {
      case 4:
        if (nameIs(buf, name, nameLen, N_HOST)) {
          // an empty Host is refused too: an http URI has a host (RFC 9110 section 4.2.1)
          if (++this.#hosts > 1 || !validAuthority(buf, vs, ve)) return -400;
          if (this.host === null) this.host = this.#hostText.of(buf, vs, ve);
        }
        break;
      case 10:
        if (nameIs(buf, name, nameLen, N_CONNECTION)) {
          const t = connectionTokens(buf, vs, ve);
          this.#closeToken ||= (t & 1) !== 0;
          this.#keepAliveToken ||= (t & 2) !== 0;
        }
        break;
      case 14:
        if (nameIs(buf, name, nameLen, N_CONTENT_LENGTH)) {
          const n = contentLength(buf, vs, ve);
          if (n < 0 || (this.contentLength >= 0 && n !== this.contentLength)) return -400;
          this.contentLength = n;
        }
        break;
      case 17:
        if (nameIs(buf, name, nameLen, N_TRANSFER_ENCODING)) {
          this.#te = true;
          const t = transferCodings(buf, vs, ve);
          // the lines make one list: counts add up, the last line with codings ends it
          if (t !== 0) {
            this.#teChunked += Math.floor(t / TE_CHUNKED_ONE);
            this.#teOther ||= (t & TE_OTHER) !== 0;
            this.chunked = (t & TE_LAST_CHUNKED) !== 0;
          }
        }
        break;
      case 6:
        if (nameIs(buf, name, nameLen, N_EXPECT)) {
          if (!nameIs(buf, vs, ve - vs, EXPECT_CONTINUE)) return -417;
          this.expectContinue = true;
        }
        break;
    }
    return 0;
  }

  /** Reads a field that shapes the answer (validators, codings, credentials, `plain`). */
  #answerField(buf: Uint8Array, name: number, nameLen: number, vs: number, ve: number): void {
    switch (nameLen) {
      case 13:
        if (nameIs(buf, name, nameLen, N_IF_NONE_MATCH)) {
          if (this.ifNoneMatch !== null) this.plain = false; // the handler sees them joined
          this.ifNoneMatch = latin1(buf, vs, ve);
        } else if (nameIs(buf, name, nameLen, N_AUTHORIZATION)) {
          if (this.authorization !== null) this.plain = false;
          this.authorization = latin1(buf, vs, ve);
        }
        break;
      case 15:
        if (nameIs(buf, name, nameLen, N_ACCEPT_ENCODING)) {
          if (this.acceptEncoding !== null) this.plain = false;
          this.acceptEncoding = latin1(buf, vs, ve);
        }
        break;
    }
    if (this.plain) {
      for (const slow of SLOW) if (nameIs(buf, name, nameLen, slow)) this.plain = false;
    }
  }

  /** Checks the framing the whole header section gives, and sets host and keep-alive; 0 or -status. */
  #framing(): number {
    if (this.#te) {
      // RFC 9112 section 6.1: framing is faulty with TE on 1.0, with CL, not ending in chunked, or
      // chunked twice; another coding is one this server does not implement (6.1: 501)
      if (this.minor === 0 || this.contentLength >= 0 || !this.chunked || this.#teChunked > 1) {
        return -400;
      }
      if (this.#teOther) return -501;
    }
    if (this.minor === 1 && this.#hosts === 0) return -400;
    this.absolute = this.absoluteHost !== null;
    if (this.absolute) this.host = this.absoluteHost;
    this.keepAlive = this.minor === 1
      ? !this.#closeToken
      : this.#keepAliveToken && !this.#closeToken;
    return 0;
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

  // what the header section has shown so far, for #framing() to judge once it ends
  #hosts = 0;
  /** The last Host's string: the same Host again (as nearly every client sends) makes none. */
  #hostText = new LastLatin1(256);
  #te = false;
  #teChunked = 0;
  #teOther = false;
  #closeToken = false;
  #keepAliveToken = false;
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
    this.#hosts = 0;
    this.#te = false;
    this.#teChunked = 0;
    this.#teOther = false;
    this.#closeToken = false;
    this.#keepAliveToken = false;
  }
}
