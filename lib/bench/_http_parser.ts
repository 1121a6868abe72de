/**
 * An incremental HTTP/1.x response parser for the raw engine. It works on bytes as they arrive (any
 * split), counts exact wire and body bytes, and never builds strings on the hot path: only the
 * `Server` header is decoded, and only when asked.
 *
 * @module
 */
import {
  findHeaderEnd,
  HttpParseError,
  newResponseHead,
  parseResponseHead,
  type ResponseHead,
} from "./_response_head.ts";

export { HttpParseError };

const CR = 0x0d;
const LF = 0x0a;

const HEADERS = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const BODY_CLOSE = 6;
const DONE = 7;

const MAX_HEADER_BYTES = 64 * 1024;
/** Where a chunk-size line is (`#lineLen` while in CHUNK_SIZE and CHUNK_DATA_END). */
const SIZE_DIGITS = 0, AFTER_SIZE = -1, EXTENSION = -2, AFTER_CR = -3;
/** The largest chunk size that can take one more hex digit and stay a safe integer. */
const MAX_CHUNK_PREFIX = Math.floor(Number.MAX_SAFE_INTEGER / 16) - 1;

/** Parses one response at a time; call {@linkcode ResponseParser.reset} before each request. */
export class ResponseParser {
  /** Status code of the final (non-1xx) response. */
  status = 0;
  /** Every byte of the response on the wire, 1xx responses and framing included. */
  wireBytes = 0;
  /** Body bytes after de-chunking (what a browser would call the document). */
  bodyBytes = 0;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** The `Server` header of the last response parsed while `captureServer` was set. */
  server: string | null = null;
  /** Decode the `Server` header (costs a string; set for the first response only). */
  captureServer = false;

  #state = HEADERS;
  #head = false;
  #remaining = 0;
  #chunked = false;
  #contentLength = -1;
  #hbuf = new Uint8Array(1024);
  #hlen = 0;
  #lineLen = 0;
  #sawSize = false;
  #h: ResponseHead = newResponseHead();

  /** Prepares for the response to a new request; `head` when that request was HEAD. */
  reset(head: boolean): void {
    this.status = 0;
    this.wireBytes = 0;
    this.bodyBytes = 0;
    this.keepAlive = false;
    this.#head = head;
    this.#state = HEADERS;
    this.#hlen = 0;
  }

  /** True once the whole response has been parsed. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** True when the headers are in and the body runs until the connection closes. */
  get closeDelimited(): boolean {
    return this.#state === BODY_CLOSE;
  }

  /** True when nothing of the response has arrived yet. */
  get empty(): boolean {
    return this.wireBytes === 0;
  }

  /**
   * Parses `buf[start, end)`. Returns how many bytes belonged to this response (less than
   * `end - start` only when the response finished before the buffer's end).
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end && this.#state !== DONE) {
      switch (this.#state) {
        case HEADERS:
          i = this.#feedHeaders(buf, i, end);
          break;
        case BODY_LENGTH: {
          const take = Math.min(this.#remaining, end - i);
          this.#remaining -= take;
          this.bodyBytes += take;
          i += take;
          if (this.#remaining === 0) this.#state = DONE;
          break;
        }
        case BODY_CLOSE:
          this.bodyBytes += end - i;
          i = end;
          break;
        case CHUNK_DATA: {
          const take = Math.min(this.#remaining, end - i);
          this.#remaining -= take;
          this.bodyBytes += take;
          i += take;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_END;
          break;
        }
        default:
          i = this.#feedChunkFraming(buf, i, end);
      }
    }
    this.wireBytes += i - start;
    return i - start;
  }

  /** The connection closed: returns true when that completes the response (close-delimited). */
  eof(): boolean {
    if (this.#state === BODY_CLOSE) {
      this.#state = DONE;
      return true;
    }
    return this.#state === DONE;
  }

  #feedHeaders(buf: Uint8Array, start: number, end: number): number {
    if (this.#hlen === 0) {
      const stop = findHeaderEnd(buf, start, end);
      if (stop >= 0) {
        this.#parseHead(buf, start, stop);
        return stop;
      }
    }
    // The header block is split across reads: gather it, but no more than a header block may
    // hold, since the rest of a big read is body.
    const old = this.#hlen;
    const n = Math.min(end - start, MAX_HEADER_BYTES - old);
    if (old + n > this.#hbuf.length) {
      const bigger = new Uint8Array(
        Math.min(MAX_HEADER_BYTES, Math.max(old + n, this.#hbuf.length * 2)),
      );
      bigger.set(this.#hbuf.subarray(0, old));
      this.#hbuf = bigger;
    }
    this.#hbuf.set(buf.subarray(start, start + n), old);
    this.#hlen = old + n;
    const stop = findHeaderEnd(this.#hbuf, Math.max(0, old - 3), this.#hlen);
    if (stop < 0) {
      if (this.#hlen === MAX_HEADER_BYTES) throw new HttpParseError("response headers too large");
      return end;
    }
    this.#hlen = 0;
    this.#parseHead(this.#hbuf, 0, stop);
    return start + (stop - old);
  }

  /** Parses a complete header block `b[s, e)` (terminator included) and picks the body mode. */
  #parseHead(b: Uint8Array, s: number, e: number): void {
    const h = this.#h;
    parseResponseHead(b, s, e, this.captureServer, h);
    if (h.server !== null) this.server = h.server;
    this.#chunked = h.chunked;
    this.#contentLength = h.contentLength;
    const status = h.status;
    if (status < 200 && status !== 101) return; // interim response: the real one follows
    this.status = status;
    this.keepAlive = !h.close;
    if (this.#head || status === 204 || status === 304 || status === 101) {
      this.#state = DONE;
    } else if (this.#chunked) {
      this.#state = CHUNK_SIZE;
      this.#remaining = 0;
      this.#sawSize = false;
      this.#lineLen = 0;
    } else if (this.#contentLength >= 0) {
      this.#remaining = this.#contentLength;
      this.#state = this.#remaining === 0 ? DONE : BODY_LENGTH;
    } else {
      this.keepAlive = false;
      this.#state = BODY_CLOSE;
    }
  }

  /**
   * Chunk-size lines, the CRLF after each chunk, and trailers (RFC 9112 section 7.1). A bare LF
   * ends a line, as RFC 9112 section 2.2 lets a recipient do; anything else outside the grammar
   * (`5 6`, a control byte in an extension or a trailer) is an error, not a guess.
   */
  #feedChunkFraming(b: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const c = b[i++]!;
      if (this.#state === CHUNK_SIZE) {
        if (c === LF) {
          if (!this.#sawSize) throw new HttpParseError("invalid chunk size");
          this.#sawSize = false;
          this.#lineLen = 0;
          this.#state = this.#remaining === 0 ? TRAILERS : CHUNK_DATA;
          return i;
        }
        this.#sizeLine(c);
      } else if (this.#state === CHUNK_DATA_END) {
        if (c === LF) {
          this.#state = CHUNK_SIZE;
          this.#remaining = 0;
          this.#lineLen = SIZE_DIGITS;
          return i;
        }
        if (c !== CR || this.#lineLen === AFTER_CR) {
          throw new HttpParseError("missing CRLF after chunk data");
        }
        this.#lineLen = AFTER_CR;
      } else { // TRAILERS: #lineLen counts the section's bytes, #sawSize marks a non-empty line
        if (++this.#lineLen > MAX_HEADER_BYTES) throw new HttpParseError("trailers too large");
        if (c === LF) {
          if (!this.#sawSize) {
            this.#state = DONE;
            return i;
          }
          this.#sawSize = false;
        } else if (c !== CR) {
          if (c < 0x20 && c !== 0x09 || c === 0x7f) throw new HttpParseError("invalid trailer");
          this.#sawSize = true;
        }
      }
    }
    return i;
  }

  /** One byte of a chunk-size line but its LF; `#lineLen` says where in the line it is. */
  #sizeLine(c: number): void {
    const at = this.#lineLen;
    if (at === AFTER_CR) throw new HttpParseError("invalid chunk size line");
    if (c === CR) this.#lineLen = AFTER_CR;
    else if (at === SIZE_DIGITS) {
      const h = hexDigit(c);
      if (h >= 0) {
        // Past 2^53 the count would lose bytes and wait for a body that never ends.
        if (this.#remaining > MAX_CHUNK_PREFIX) {
          throw new HttpParseError("chunk size too large");
        }
        this.#remaining = this.#remaining * 16 + h;
        this.#sawSize = true;
      } else if (!this.#sawSize) throw new HttpParseError("invalid chunk size");
      else if (c === 0x3b) this.#lineLen = EXTENSION;
      else if (c === 0x20 || c === 0x09) this.#lineLen = AFTER_SIZE;
      else throw new HttpParseError("invalid chunk size");
    } else if (at === AFTER_SIZE) {
      // whitespace may only lead to an extension: "5 6" is not a size
      if (c === 0x3b) this.#lineLen = EXTENSION;
      else if (c !== 0x20 && c !== 0x09) throw new HttpParseError("invalid chunk size");
    } else if (c < 0x20 && c !== 0x09 || c === 0x7f) {
      throw new HttpParseError("invalid chunk extension");
    }
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
