/**
 * A session's unparsed input: a partial head, or what arrived while an answer was in flight.
 * Bytes are appended into one buffer that grows by doubling (and is compacted before it grows),
 * so a client that sends its head a byte at a time costs linear work, not a copy of everything
 * held per read.
 *
 * @module
 */

const FIRST_CAPACITY = 4096;
/** What an Input holds before its first bytes: nothing, shared (it is never written). */
const NONE = new Uint8Array(0);

/** Held input bytes: `bytes[start..end)`. */
export class Input {
  bytes: Uint8Array = NONE;
  start = 0;
  end = 0;

  /** Bytes held. */
  get length(): number {
    return this.end - this.start;
  }

  /** Appends `buf[from..to)`. */
  append(buf: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.end + n > this.bytes.length) this.#make(n);
    this.bytes.set(buf.subarray(from, to), this.end);
    this.end += n;
  }

  /** Room for `n` more bytes: moves what is held to the front, or a buffer twice as large. */
  #make(n: number): void {
    const held = this.length;
    if (held + n <= this.bytes.length && this.start >= held) {
      this.bytes.copyWithin(0, this.start, this.end);
    } else {
      // twice what is needed: the next copies are at least as far off as this one was large
      let size = FIRST_CAPACITY;
      while (size < 2 * (held + n)) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.bytes.subarray(this.start, this.end));
      this.bytes = bigger;
    }
    this.start = 0;
    this.end = held;
  }

  /** Parsing reached `at`: the bytes before it are done. */
  consume(at: number): void {
    this.start = at;
    if (this.start >= this.end) this.clear();
  }

  /** Forgets everything (a buffer that grew large is let go). */
  clear(): void {
    this.start = 0;
    this.end = 0;
    if (this.bytes.length > 4 * FIRST_CAPACITY) this.bytes = NONE;
  }
}
