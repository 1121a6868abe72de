/**
 * writev(2) for the loop's sockets: several buffers sent with one call, so bytes queued in
 * pieces (a head, a body, a chunk's framing) leave together and a partial write needs no copy.
 *
 * @module
 */
import type { EventLoop } from "./loop.ts";

/** Most buffers one call takes here (Linux's IOV_MAX is 1024). */
export const MAX_PARTS = 64;

/** Sends buffers with writev(2) on one loop's thread; one per loop (it owns the iovec array). */
export class Gather {
  #loop: EventLoop;
  #iov = new BigUint64Array(MAX_PARTS * 2);
  #iovBytes = new Uint8Array(this.#iov.buffer);

  constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  /**
   * Sends `parts` (at most {@link MAX_PARTS}) in order on `fd`.
   *
   * @returns how many bytes the kernel took, or the errno negated (-EAGAIN: the socket is full)
   */
  send(fd: number, parts: Uint8Array[]): number {
    const count = Math.min(parts.length, MAX_PARTS);
    const iov = this.#iov;
    for (let i = 0; i < count; i++) {
      const part = parts[i]!;
      iov[2 * i] = part.length === 0
        ? 0n
        : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(part)));
      iov[2 * i + 1] = BigInt(part.length);
    }
    const { libc } = this.#loop;
    const n = libc.sym.writev(fd, this.#iovBytes, count);
    return n >= 0 ? n : -libc.errno();
  }
}
