/**
 * Where a body being forwarded ends: counts Content-Length bytes, follows chunked framing (the
 * request engine's `ChunkedSkipper`, so chunked bytes are checked as strictly both ways), or
 * runs to the connection's end. Pure: it is told bytes and says how many belong to the body.
 *
 * @module
 */
import { BAD, ChunkedSkipper, MORE } from "../../http1/_chunked.ts";
import { Framing } from "./_response_head.ts";

/** `take()`: the framing is broken (a bad chunk line). */
export const BROKEN = -1;

/** One body's progress; reset per message. */
export class BodyFrame {
  framing: Framing = Framing.None;
  /** Length bytes still to come. */
  remaining = 0;
  /** Body bytes seen so far (wire bytes for a chunked body). */
  seen = 0;
  #chunks: ChunkedSkipper | null = null;

  /** Starts a body; `length` for {@link Framing.Length}. */
  start(framing: Framing, length: number): void {
    this.framing = framing;
    this.seen = 0;
    this.remaining = framing === Framing.Length ? length : 0;
    this.#chunks = framing === Framing.Chunked ? new ChunkedSkipper() : null;
    if (framing === Framing.Length && length === 0) this.framing = Framing.None;
  }

  /** Whether the body has ended (or there was none). */
  get done(): boolean {
    return this.framing === Framing.None;
  }

  /**
   * Takes what of `buf[start..end)` belongs to the body.
   *
   * @returns the count (less than offered once the body ends), or {@link BROKEN}
   */
  take(buf: Uint8Array, start: number, end: number): number {
    let n: number;
    switch (this.framing) {
      case Framing.None:
        return 0;
      case Framing.Close:
        n = end - start;
        break;
      case Framing.Length:
        n = Math.min(this.remaining, end - start);
        this.remaining -= n;
        if (this.remaining === 0) this.framing = Framing.None;
        break;
      default: {
        const at = this.#chunks!.feed(buf, start, end);
        if (at === BAD) return BROKEN;
        if (at === MORE) n = end - start;
        else {
          n = at - start;
          this.framing = Framing.None;
          this.#chunks = null;
        }
      }
    }
    this.seen += n;
    return n;
  }
}
