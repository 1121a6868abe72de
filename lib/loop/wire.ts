/**
 * A connected socket's byte stream as its owner reads and writes it: {@linkcode FdWire} is the
 * socket itself (recv/send on its descriptor), and `lib/tls/`'s `TlsWire` the same stream through
 * TLS. Both answer in the loop's terms (a count, 0 at the end, the errno negated, -EAGAIN to
 * wait), so a protocol (a balancer's tunnel, an HTTP stream) runs over either unchanged.
 *
 * @module
 */
import type { EventLoop } from "./loop.ts";

/** Reads and writes of one connected socket, in the loop's terms. */
export interface Wire {
  /**
   * Reads into `buf[0..length)`: the count, 0 at the peer's end, or the errno negated (-EAGAIN:
   * nothing now). A count short of `length` means nothing more is readable until the next event.
   */
  recv(buf: Uint8Array, length: number): number;
  /** Sends `buf[0..length)`: the count taken, or the errno negated (-EAGAIN: none taken). */
  send(buf: Uint8Array, length: number): number;
  /** Ends the write side (a FIN, after TLS's close_notify): 0, or the errno. */
  shutdownWrite(): number;
  /** Lets go of what the wire holds besides the descriptor (before the descriptor closes). */
  release(): void;
}

/** Where a wire finds its descriptor: a `Handle`, or an owner that keeps its own fd. */
export interface HasFd {
  readonly fd: number;
}

/** The socket itself: recv and send on its descriptor (read anew, -1 once closed). */
export class FdWire implements Wire {
  readonly #loop: EventLoop;
  readonly #owner: HasFd;

  constructor(loop: EventLoop, owner: HasFd) {
    this.#loop = loop;
    this.#owner = owner;
  }

  recv(buf: Uint8Array, length: number): number {
    return this.#loop.recv(this.#owner.fd, buf, length);
  }

  send(buf: Uint8Array, length: number): number {
    return this.#loop.send(this.#owner.fd, buf, length);
  }

  shutdownWrite(): number {
    return this.#loop.shutdownWrite(this.#owner.fd);
  }

  release(): void {}
}
