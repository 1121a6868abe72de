/**
 * A session's way out: sends through its {@link SessionIO}, keeps what the kernel did not take
 * (bytes, then a stretch of a file sent with sendfile(2)), and says what happened so the session
 * can move its send deadline or close. It knows nothing of HTTP. It owns a file's descriptor
 * from {@link Outbox.sendFile} on and closes it when the file is sent or on {@link Outbox.release}.
 *
 * @module
 */
import { FILE_FULL, type SessionIO } from "./_io.ts";

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
  /** The file ended before its length was sent (it shrank): close, the framing is broken. */
  Short: 4,
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
  /** A file to send once the pending bytes left: its descriptor, next offset, bytes left. */
  #file = -1;
  #offset = 0;
  #left = 0;
  #drained: (() => void) | null = null;
  /** Bytes the kernel has taken on this connection so far (the access log's bytes sent). */
  taken = 0;

  constructor(io: SessionIO, batch: Uint8Array) {
    this.#io = io;
    this.#batch = batch;
  }

  /** Bytes handed in that the kernel has not taken yet (pending, batched, a file's rest). */
  get unsent(): number {
    return (this.#pending?.length ?? 0) + this.#batched + (this.#file < 0 ? 0 : this.#left);
  }

  /** Whether nothing waits for the socket. */
  get empty(): boolean {
    return this.#pending === null && this.#file < 0;
  }

  /** Sends `bytes[0..len)`, or queues them behind what is pending; `more` as in SessionIO. */
  send(bytes: Uint8Array, len: number, more: boolean): Sent {
    const pending = this.#pending;
    if (pending !== null) {
      const joined = new Uint8Array(pending.length + len);
      joined.set(pending);
      joined.set(bytes.subarray(0, len), pending.length);
      this.#pending = joined;
      return Sent.Queued;
    }
    const sent = this.#io.send(bytes, len, more);
    if (sent < 0) return Sent.Gone;
    this.taken += sent;
    if (sent < len) {
      this.#pending = bytes.slice(sent, len);
      return Sent.Pending;
    }
    return Sent.All;
  }

  /**
   * Sends `head`, then `length` bytes of the open `file` from `offset`; takes the descriptor
   * over. Nothing else may be sent until the file has left.
   */
  sendFile(head: Uint8Array, file: number, offset: number, length: number): Sent {
    this.#file = file;
    this.#offset = offset;
    this.#left = length;
    const sent = this.send(head, head.length, true);
    if (sent !== Sent.All) return sent;
    return this.#pumpFile();
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

  /** Sends the batch, if anything is in it; `more` as in SessionIO. */
  flushBatch(more: boolean): Sent {
    const n = this.#batched;
    if (n === 0) return Sent.All;
    this.#batched = 0;
    return this.send(this.#batch, n, more);
  }

  /** The socket is writable: sends what is pending. */
  flush(): Sent {
    const out = this.#pending;
    if (out !== null) {
      this.#pending = null;
      const sent = this.send(out, out.length, false);
      if (sent !== Sent.All) return sent;
    }
    return this.#file < 0 ? Sent.All : this.#pumpFile();
  }

  /** Sends the file until it is done or the socket is full. */
  #pumpFile(): Sent {
    const io = this.#io;
    while (this.#left > 0) {
      const n = io.sendFile!(this.#file, this.#offset, this.#left);
      if (n > 0) {
        this.taken += n;
        this.#offset += n;
        this.#left -= n;
        continue;
      }
      if (n === FILE_FULL) return Sent.Pending;
      this.#closeFile();
      return n === 0 ? Sent.Short : Sent.Gone;
    }
    this.#closeFile();
    return Sent.All;
  }

  #closeFile(): void {
    const file = this.#file;
    if (file < 0) return;
    this.#file = -1;
    this.#io.closeFile!(file);
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

  /** The connection closed: drops what is pending, closes the file, and wakes a waiter. */
  release(): void {
    this.#pending = null;
    this.#batched = 0;
    this.#closeFile();
    this.wake();
  }
}
