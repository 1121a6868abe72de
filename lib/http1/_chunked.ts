/**
 * Skips a chunked request body (RFC 9112 section 7.1) without keeping it: the static handler
 * never reads bodies, but the connection must find where the next request starts.
 *
 * @module
 */

const CR = 13, LF = 10;

enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  LastLf,
}

/** `feed()` needs more bytes. */
export const MORE = -1;
/** `feed()` found bad framing: close the connection. */
export const BAD = -2;

/** Largest chunk-size accepted (hex digits); a longer one is bad framing. */
const MAX_SIZE_DIGITS = 12;
/** Longest chunk extension or trailer line skipped. */
const MAX_LINE = 4096;

/** The state of one chunked body being skipped. */
export class ChunkedSkipper {
  #state = State.Size;
  #size = 0;
  #digits = 0;
  #line = 0;

  /**
   * Consumes `buf[start..end)`.
   *
   * @returns the offset just past the body's end, {@link MORE} or {@link BAD}
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const c = buf[i]!;
      switch (this.#state) {
        case State.Size: {
          const d = hex(c);
          if (d >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return BAD;
            this.#size = this.#size * 16 + d;
          } else if (this.#digits === 0) return BAD;
          else if (c === CR) this.#state = State.SizeLf;
          else if (c === 59 /* ; */ || c === 32 || c === 9) {
            this.#state = State.Ext;
            this.#line = 0;
          } else return BAD;
          i++;
          break;
        }
        case State.Ext:
          if (c === CR) this.#state = State.SizeLf;
          else if (c === LF || ++this.#line > MAX_LINE) return BAD;
          i++;
          break;
        case State.SizeLf:
          if (c !== LF) return BAD;
          i++;
          this.#digits = 0;
          if (this.#size === 0) this.#state = State.TrailerStart;
          else this.#state = State.Data;
          break;
        case State.Data: {
          const take = Math.min(this.#size, end - i);
          i += take;
          this.#size -= take;
          if (this.#size === 0) this.#state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (c !== CR) return BAD;
          this.#state = State.DataLf;
          i++;
          break;
        case State.DataLf:
          if (c !== LF) return BAD;
          this.#state = State.Size;
          i++;
          break;
        case State.TrailerStart:
          if (c === CR) this.#state = State.LastLf;
          else {
            this.#state = State.Trailer;
            this.#line = 0;
          }
          i++;
          break;
        case State.Trailer:
          if (c === CR) this.#state = State.TrailerLf;
          else if (c === LF || ++this.#line > MAX_LINE) return BAD;
          i++;
          break;
        case State.TrailerLf:
          if (c !== LF) return BAD;
          this.#state = State.TrailerStart;
          i++;
          break;
        case State.LastLf:
          if (c !== LF) return BAD;
          return i + 1;
      }
    }
    return MORE;
  }
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
