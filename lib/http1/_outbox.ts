/**
 * A session's way out: sends through its {@link SessionIO}, keeps what the kernel did not take
 * as a list of chunks (sent again with one writev(2), never copied again on a partial write),
 * then a stretch of a file sent with sendfile(2), and says what happened so the session can move
 * its send deadline or close. It knows nothing of HTTP. It owns a file's descriptor from
 * {@link Outbox.sendFile} on and closes it when the file is sent or on {@link Outbox.release}.
 *
 * Bytes handed to it are either the caller's for good (`owned`: a fresh head, a body read for
 * this answer) or only lent for the call (the shared batch buffer, a prebuilt answer whose Date
 * is patched in place): what the kernel did not take of lent bytes is copied once.
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

/** An outbox's chunks until a send stops short (most never does): one frozen empty list. */
const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/** Most chunks one writev(2) takes (IOV_MAX is 1024; a session queues a handful). */
const MAX_IOV = 64;

/** Outgoing bytes the kernel has not taken yet. */
export class Outbox {
  #io: SessionIO;
  /** Pending chunks, oldest first; the first has `#skip` bytes sent already. */
  #chunks: Uint8Array[] = NO_CHUNKS;
  #skip = 0;
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
    return this.pendingBytes + this.#batched + (this.#file < 0 ? 0 : this.#left);
  }

  /** Whether nothing waits for the socket. */
  get empty(): boolean {
    return this.#chunks.length === 0 && this.#file < 0;
  }

  /** Bytes waiting (the file's not counted). */
  get pendingBytes(): number {
    let n = -this.#skip;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /**
   * Sends `bytes[0..len)`, or queues them behind what is pending; `more` as in SessionIO.
   * `owned`: the bytes are the outbox's to keep (else what is kept is copied, once).
   */
  send(bytes: Uint8Array, len: number, more: boolean, owned = false): Sent {
    if (this.#chunks.length > 0 || this.#file >= 0) {
      this.#keep(bytes, 0, len, owned);
      return Sent.Queued;
    }
    const sent = this.#io.send(bytes, len, more);
    if (sent < 0) return Sent.Gone;
    this.taken += sent;
    if (sent < len) {
      this.#keep(bytes, sent, len, owned);
      return Sent.Pending;
    }
    return Sent.All;
  }

  /** Queues `bytes` (the outbox's to keep) without sending: {@link flush} sends them all at once. */
  queue(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#pending().push(bytes);
  }

  /** The pending list, made on the first bytes the kernel did not take. */
  #pending(): Uint8Array[] {
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    return this.#chunks;
  }

  #keep(bytes: Uint8Array, from: number, to: number, owned: boolean): void {
    if (from === to) return;
    const whole = from === 0 && to === bytes.length;
    this.#pending().push(
      owned ? (whole ? bytes : bytes.subarray(from, to)) : bytes.slice(from, to),
    );
  }

  /**
   * Sends `head`, then `length` bytes of the open `file` from `offset`; takes the descriptor
   * over. Nothing else may be sent until the file has left.
   */
  sendFile(head: Uint8Array, file: number, offset: number, length: number): Sent {
    const sent = this.send(head, head.length, true, true);
    this.#file = file;
    this.#offset = offset;
    this.#left = length;
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

  /** Sends what is pending (the socket is writable, or chunks were queued). */
  flush(): Sent {
    while (this.#chunks.length > 0) {
      const sent = this.#sendChunks();
      if (sent !== Sent.All) return sent;
    }
    return this.#file < 0 ? Sent.All : this.#pumpFile();
  }

  /** One send (or writev) of the pending chunks; drops what left. */
  #sendChunks(): Sent {
    const chunks = this.#chunks;
    const count = Math.min(chunks.length, MAX_IOV);
    let n: number;
    let total = 0;
    if (count === 1 || this.#io.sendv === undefined) {
      const first = chunks[0]!;
      total = first.length - this.#skip;
      n = this.#io.send(this.#skip === 0 ? first : first.subarray(this.#skip), total, false);
    } else {
      const views: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const c = i === 0 && this.#skip > 0 ? chunks[0]!.subarray(this.#skip) : chunks[i]!;
        views.push(c);
        total += c.length;
      }
      n = this.#io.sendv(views);
    }
    if (n < 0) return Sent.Gone;
    this.taken += n;
    this.#advance(n);
    return n < total ? Sent.Pending : Sent.All;
  }

  /** Drops `n` sent bytes from the front of the chunks. */
  #advance(n: number): void {
    const chunks = this.#chunks;
    let left = n + this.#skip;
    let drop = 0;
    while (drop < chunks.length && left >= chunks[drop]!.length) left -= chunks[drop++]!.length;
    if (drop === chunks.length) chunks.length = 0;
    else if (drop > 0) chunks.splice(0, drop);
    this.#skip = chunks.length === 0 ? 0 : left;
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
    // (a length store costs a runtime call; most connections close with nothing pending)
    if (this.#chunks.length > 0) this.#chunks.length = 0;
    this.#skip = 0;
    this.#batched = 0;
    this.#closeFile();
    this.wake();
  }
}
