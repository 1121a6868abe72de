/**
 * One direction of an epoll tunnel: bytes from one socket to the other through the engine's one
 * shared read buffer, sent on at once; only what the destination cannot take right away is
 * copied to a pending buffer of its own, and the source is not read again until it drains (the
 * backpressure). A pure producer for its tunnel (`_tunnel.ts`): it moves bytes and says where it
 * stopped, and never calls back; the tunnel decides what happens next.
 *
 * @module
 */
import { type EventLoop, LINUX as C, type Wire } from "../../loop/mod.ts";
import type { Traffic } from "../proxy.ts";

/** The source has nothing more now (EAGAIN, or a short read): wait for its next event. */
export const IDLE = 0;
/** The destination took less than was read: the rest is `pending`; wait until it is writable. */
export const FULL = 1;
/** The source sent its FIN (recv gave 0) and everything read before it has gone. */
export const END = 2;
/** recv() on the source failed with `errno`. */
export const SRC_FAILED = 3;
/** send() to the destination failed with `errno`; what could not go is `pending`. */
export const DST_FAILED = 4;

/** What {@linkcode Pipe.pump} and {@linkcode Pipe.flush} stopped at. */
export type PipeResult =
  | typeof IDLE
  | typeof FULL
  | typeof END
  | typeof SRC_FAILED
  | typeof DST_FAILED;

/** One direction's state: readiness, the end, what waits, what went. */
export class Pipe {
  /**
   * Whether a recv() may find bytes: false after a short read or EAGAIN until the next event
   * (edge-triggered), which saves a recv() that would only say EAGAIN.
   */
  ready = true;
  /** The peer's FIN was seen in an event: read until recv() gives 0. */
  rdhup = false;
  /** recv() gave 0: this direction has ended. */
  eof = false;
  /** The FIN was passed on: the destination's write side is shut. */
  shut = false;
  /** Bytes the destination could not take yet, copied out of the shared buffer. */
  pending: Uint8Array | undefined;
  /** Bytes sent on so far. */
  sent = 0;
  /** When bytes last moved, on the loop's clock (a slow but steady reader is not idle). */
  activeAt = 0;
  /** The errno of the failure a result reported. */
  errno = 0;
  /** The backend's counters this direction adds to (`up` or `down`). */
  traffic: Traffic | undefined;
  readonly #down: boolean;

  /** @param down true for backend to client */
  constructor(down: boolean) {
    this.#down = down;
  }

  #count(n: number, now: number): void {
    this.sent += n;
    this.activeAt = now;
    const t = this.traffic!;
    if (this.#down) t.down += n;
    else t.up += n;
  }

  /** Reads `src` and sends to `dst` until the source is drained, `dst` full, the end or a failure. */
  pump(loop: EventLoop, src: Wire, dst: Wire, buf: Uint8Array): PipeResult {
    const cap = buf.length;
    while (true) {
      const n = src.recv(buf, cap);
      if (n > 0) {
        this.activeAt = loop.now;
        const w = dst.send(buf, n);
        if (w === n) {
          this.#count(n, loop.now);
          // a short read without the peer's FIN means the socket is drained
          if (n < cap && !this.rdhup) {
            this.ready = false;
            return IDLE;
          }
          continue;
        }
        if (w > 0) this.#count(w, loop.now);
        this.pending = buf.slice(w > 0 ? w : 0, n);
        if (w >= 0 || w === -C.EAGAIN) return FULL;
        this.errno = -w;
        return DST_FAILED;
      }
      if (n === 0) {
        this.eof = true;
        return END;
      }
      if (n === -C.EAGAIN) {
        this.ready = false;
        return IDLE;
      }
      if (n === -C.EINTR) continue;
      this.errno = -n;
      return SRC_FAILED;
    }
  }

  /** Sends what is pending to `dst`: FULL while some remains, IDLE once all went, or DST_FAILED. */
  flush(loop: EventLoop, dst: Wire): PipeResult {
    const p = this.pending!;
    const w = dst.send(p, p.length);
    if (w === -C.EAGAIN) return FULL;
    if (w < 0) {
      this.errno = -w;
      return DST_FAILED;
    }
    this.#count(w, loop.now);
    if (w < p.length) {
      this.pending = p.subarray(w);
      return FULL;
    }
    this.pending = undefined;
    return IDLE;
  }

  /**
   * After the source failed (a reset): sends what is pending, then what the source still holds
   * readable. FULL while the destination cannot take more (call again once it is writable),
   * DST_FAILED, or IDLE once nothing more will come.
   */
  drain(loop: EventLoop, src: Wire, dst: Wire, buf: Uint8Array): PipeResult {
    while (true) {
      if (this.pending !== undefined) {
        const r = this.flush(loop, dst);
        if (r !== IDLE) return r;
      }
      if (this.eof) return IDLE;
      this.ready = this.rdhup = true;
      const r = this.pump(loop, src, dst, buf);
      // anything but FULL: all there was (a reset leaves nothing more to come)
      if (r === DST_FAILED) return r;
      if (r !== FULL) return IDLE;
    }
  }
}
