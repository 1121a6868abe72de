/**
 * A session's way out: sends through its {@link SessionIO} (pipelined answers gathered in one
 * batch), keeps what the kernel did not take, and says what happened so the session can move its
 * send deadline or close. It knows nothing of HTTP.
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
  /** Where answers to pipelined requests gather for one send (shared by a server's sessions). */
  #batch: Uint8Array;
  #batched = 0;
  #drained: (() => void) | null = null;

  constructor(io: SessionIO, batch: Uint8Array) {
    this.#io = io;
    this.#batch = batch;
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

  /**
   * Adds `bytes[0..len)` to the batch, which is sent first when they do not fit; bytes as large
   * as the batch are sent at once. Send the batch with {@link flushBatch} before anything else.
   */
  append(bytes: Uint8Array, len: number): Sent {
    const first = this.#batched + len > this.#batch.length ? this.flushBatch(false) : Sent.All;
    if (first === Sent.Gone) return first;
    if (len >= this.#batch.length) {
      const second = this.send(bytes, len, false);
      // queued behind what the flush left: the flush's Pending is what moves the deadline
      return second === Sent.Queued && first === Sent.Pending ? first : second;
    }
    this.#batch.set(len === bytes.length ? bytes : bytes.subarray(0, len), this.#batched);
    this.#batched += len;
    return first;
  }

  /** Sends the batch, if anything is in it; `last` as in SessionIO. */
  flushBatch(last: boolean): Sent {
    const n = this.#batched;
    if (n === 0) return Sent.All;
    this.#batched = 0;
    return this.send(this.#batch, n, last);
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
    if (this.empty) return null;
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
    this.#batched = 0;
    this.wake();
  }
}
