/**
 * Skips a chunked request body (RFC 9112 section 7.1) without keeping it: the static handler
 * never reads bodies, but the connection must find where the next request starts. The grammar is
 * followed byte for byte, and anything outside it is bad framing (the connection closes): a front
 * proxy that reads the body another way would otherwise see a different next request.
 *
 * ```
 * chunked-body   = *chunk last-chunk trailer-section CRLF
 * chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * chunk-size     = 1*HEXDIG
 * chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * chunk-ext-val  = token / quoted-string
 * trailer-section = *( field-line CRLF )
 * ```
 *
 * @module
 */
import { CR, FIELD, HTAB, LF, SP, TCHAR } from "./_head_bytes.ts";
import { MAX_FIELDS, MAX_HEADER_BYTES } from "./_parser.ts";

enum State {
  Size,
  /** BWS after the size, before a ";" */
  SizeWs,
  /** after ";": BWS, then an extension's name */
  ExtStart,
  ExtName,
  /** BWS after a name: "=" or ";" follows */
  ExtNameWs,
  /** after "=": BWS, then a token or a quoted-string */
  ExtValueStart,
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  /** just after a quoted-string's closing quote */
  ExtQuoteEnd,
  /** after a value: BWS, then ";" or the line's end */
  ExtValueWs,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  LastLf,
}

/** `feed()` needs more bytes. */
export const MORE = -1;
/** `feed()` found bad framing: close the connection. */
export const BAD = -2;

/** Most significant hex digits of a chunk size: 13 (2^52, an exact number); more is refused. */
const MAX_SIZE_DIGITS = 13;
/** Longest chunk-size line (size and extensions). */
const MAX_LINE = 4096;

const DQUOTE = 34, BACKSLASH = 92, SEMI = 59, EQUALS = 61, COLON = 58;

/** qdtext (RFC 9110 section 5.6.4): HTAB, SP, visible ASCII but '"' and '\', obs-text */
const QDTEXT = new Uint8Array(256).map((_, c) =>
  c === HTAB || c === SP || (c >= 0x21 && c !== DQUOTE && c !== BACKSLASH && c !== 0x7f) ? 1 : 0
);
/** after '\' in a quoted-string: HTAB, SP, VCHAR, obs-text */
const QUOTED_PAIR = new Uint8Array(256).map((_, c) =>
  c === HTAB || c === SP || (c >= 0x21 && c !== 0x7f) ? 1 : 0
);

/** The state of one chunked body being skipped. */
export class ChunkedSkipper {
  #state = State.Size;
  #size = 0;
  #digits = 0;
  /** bytes of the current size line, or of the whole trailer section */
  #line = 0;
  #fields = 0;
  /** a hex digit was seen on this size line (`#digits` counts significant ones only) */
  #sawDigit = false;

  /**
   * Consumes `buf[start..end)`.
   *
   * @returns the offset just past the body's end, {@link MORE} or {@link BAD}
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      if (this.#state === State.Data) {
        const take = Math.min(this.#size, end - i);
        i += take;
        this.#size -= take;
        if (this.#size === 0) this.#state = State.DataCr;
        continue;
      }
      const c = buf[i++]!;
      const next = this.#step(c);
      if (next === BAD) return BAD;
      if (next === LAST) return i;
    }
    return MORE;
  }

  /** One byte outside chunk data: {@link BAD}, {@link LAST} (the body ended) or 0. */
  #step(c: number): number {
    switch (this.#state) {
      case State.Size:
      case State.SizeWs:
      case State.ExtStart:
      case State.ExtName:
      case State.ExtNameWs:
      case State.ExtValueStart:
      case State.ExtToken:
      case State.ExtQuoted:
      case State.ExtQuotedPair:
      case State.ExtQuoteEnd:
      case State.ExtValueWs:
        if (++this.#line > MAX_LINE) return BAD;
        return this.#sizeLine(c);
      case State.SizeLf:
        if (c !== LF) return BAD;
        this.#line = 0;
        this.#digits = 0;
        this.#sawDigit = false;
        this.#state = this.#size === 0 ? State.TrailerStart : State.Data;
        return 0;
      case State.DataCr:
        if (c !== CR) return BAD;
        this.#state = State.DataLf;
        return 0;
      case State.DataLf:
        if (c !== LF) return BAD;
        this.#state = State.Size;
        return 0;
      default:
        if (++this.#line > MAX_HEADER_BYTES) return BAD;
        return this.#trailer(c);
    }
  }

  /** The chunk-size line: size, then extensions. */
  #sizeLine(c: number): number {
    switch (this.#state) {
      case State.Size: {
        const d = hex(c);
        if (d >= 0) {
          this.#sawDigit = true;
          if (this.#digits > 0 || d > 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return BAD;
            this.#size = this.#size * 16 + d;
          }
          return 0;
        }
        if (!this.#sawDigit) return BAD;
        return this.#afterValue(c, State.SizeWs);
      }
      case State.SizeWs:
      case State.ExtValueWs:
        // whitespace only before a ";" (BWS), never before the line's end
        if (c === SEMI) this.#state = State.ExtStart;
        else if (c !== SP && c !== HTAB) return BAD;
        return 0;
      case State.ExtStart:
        if (c === SP || c === HTAB) return 0;
        if (TCHAR[c] !== 1) return BAD;
        this.#state = State.ExtName;
        return 0;
      case State.ExtName:
        if (TCHAR[c] === 1) return 0;
        if (c === EQUALS) this.#state = State.ExtValueStart;
        else return this.#afterValue(c, State.ExtNameWs);
        return 0;
      case State.ExtNameWs:
        if (c === SP || c === HTAB) return 0;
        if (c === EQUALS) this.#state = State.ExtValueStart;
        else if (c === SEMI) this.#state = State.ExtStart;
        else return BAD;
        return 0;
      case State.ExtValueStart:
        if (c === SP || c === HTAB) return 0;
        if (c === DQUOTE) this.#state = State.ExtQuoted;
        else if (TCHAR[c] === 1) this.#state = State.ExtToken;
        else return BAD;
        return 0;
      case State.ExtToken:
        return TCHAR[c] === 1 ? 0 : this.#afterValue(c, State.ExtValueWs);
      case State.ExtQuoted:
        if (c === DQUOTE) this.#state = State.ExtQuoteEnd;
        else if (c === BACKSLASH) this.#state = State.ExtQuotedPair;
        else if (QDTEXT[c] !== 1) return BAD;
        return 0;
      case State.ExtQuoteEnd:
        return this.#afterValue(c, State.ExtValueWs);
      default: // ExtQuotedPair
        if (QUOTED_PAIR[c] !== 1) return BAD;
        this.#state = State.ExtQuoted;
        return 0;
    }
  }

  /**
   * The byte after a size, a name or a value: CR ends the line, ";" starts an extension,
   * whitespace moves to `ws`.
   */
  #afterValue(c: number, ws: State): number {
    if (c === CR) this.#state = State.SizeLf;
    else if (c === SEMI) this.#state = State.ExtStart;
    else if (c === SP || c === HTAB) this.#state = ws;
    else return BAD;
    return 0;
  }

  /** The trailer section: field lines, each `token ":" field-value CRLF`, then CRLF. */
  #trailer(c: number): number {
    switch (this.#state) {
      case State.TrailerStart:
        if (c === CR) this.#state = State.LastLf;
        // a name, never whitespace (obs-fold) nor a bare LF
        else if (TCHAR[c] === 1 && ++this.#fields <= MAX_FIELDS) this.#state = State.TrailerName;
        else return BAD;
        return 0;
      case State.TrailerName:
        if (c === COLON) this.#state = State.TrailerValue;
        else if (TCHAR[c] !== 1) return BAD;
        return 0;
      case State.TrailerValue:
        if (c === CR) this.#state = State.TrailerLf;
        else if (FIELD[c] !== 1) return BAD;
        return 0;
      case State.TrailerLf:
        if (c !== LF) return BAD;
        this.#state = State.TrailerStart;
        return 0;
      default: // LastLf
        return c === LF ? LAST : BAD;
    }
  }
}

/** `#step()`: the byte ended the body. */
const LAST = 1;

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** A request body being skipped: `length` bytes, or (length -1) chunked framing to its end. */
export class BodySkipper {
  #left: number;
  #chunked: ChunkedSkipper | null;

  constructor(length: number) {
    this.#left = length;
    this.#chunked = length < 0 ? new ChunkedSkipper() : null;
  }

  /** Consumes `buf[start..end)`: as {@link ChunkedSkipper.feed}. */
  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.#chunked !== null) return this.#chunked.feed(buf, start, end);
    const take = Math.min(this.#left, end - start);
    this.#left -= take;
    return this.#left > 0 ? MORE : start + take;
  }
}
