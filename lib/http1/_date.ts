/**
 * The Date header's value, rebuilt at most once a second: every response of that second shares
 * the same 29 bytes.
 *
 * @module
 */

/** Length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export const DATE_LENGTH = 29;

/** The current HTTP date as text and bytes, refreshed by {@link HttpDate.update}. */
export class HttpDate {
  /** Whole seconds since the epoch of the current value. */
  sec = -1;
  text = "";
  readonly bytes = new Uint8Array(DATE_LENGTH);

  constructor(nowMs: number = Date.now()) {
    this.update(nowMs);
  }

  /** Moves to `nowMs`'s second; returns true when the value changed. */
  update(nowMs: number): boolean {
    const sec = Math.floor(nowMs / 1000);
    if (sec === this.sec) return false;
    this.sec = sec;
    this.text = new Date(sec * 1000).toUTCString();
    for (let i = 0; i < DATE_LENGTH; i++) this.bytes[i] = this.text.charCodeAt(i);
    return true;
  }
}
