/**
 * A session's way out: sends through its {@link SessionIO}, keeps what the kernel did not take,
 * and says what happened so the session can move its send deadline or close. It knows nothing
 * of HTTP.
 *
 * @module
 */
import type { SessionIO } from "./_io.ts";

/** What a send or a flush came to. */
export const Sent = {
  /** Everything left; nothing is pending. */
  All: 0,
  /** Some bytes wait for the socket to become writable. */
  Pending: 1,
  /** The peer is gone: close. */
  Gone: 2,
  /** Queued behind bytes already pending (the socket made no progress). */
  Queued: 3,
} as const;
/** One of {@link Sent}'s values. */
export type Sent = typeof Sent[keyof typeof Sent];

/** Outgoing bytes the kernel has not taken yet. */
export class Outbox {
  #io: SessionIO;
  #pending: Uint8Array | null = null;
  #drained: (() => void) | null = null;

  constructor(io: SessionIO) {
    this.#io = io;
  }

  /** Whether nothing waits for the socket. */
  get empty(): boolean {
    return this.#pending === null;
  }

  /** Sends `bytes[0..len)`, or queues them behind what is pending; `last` as in SessionIO. */
  send(bytes: Uint8Array, len: number, last: boolean): Sent {
    const pending = this.#pending;
    if (pending !== null) {
      const joined = new Uint8Array(pending.length + len);
      joined.set(pending);
      joined.set(bytes.subarray(0, len), pending.length);
      this.#pending = joined;
      return Sent.Queued;
    }
    const sent = this.#io.send(bytes, len, last);
    if (sent < 0) return Sent.Gone;
    if (sent < len) {
      this.#pending = bytes.slice(sent, len);
      return Sent.Pending;
    }
    return Sent.All;
  }

  /** The socket is writable: sends what is pending. */
  flush(): Sent {
    const out = this.#pending;
    if (out === null) return Sent.All;
    this.#pending = null;
    return this.send(out, out.length, false);
  }

  /** Resolves once nothing is pending (or on {@link release}); null when nothing is now. */
  whenSent(): Promise<void> | null {
    if (this.#pending === null) return null;
    return new Promise((resolve) => this.#drained = resolve);
  }

  /** Wakes whoever waits in {@link whenSent}, if anyone; true if someone did. */
  wake(): boolean {
    const wake = this.#drained;
    this.#drained = null;
    if (wake === null) return false;
    wake();
    return true;
  }

  /** The connection closed: drops what is pending and wakes a waiter. */
  release(): void {
    this.#pending = null;
    this.wake();
  }
}
