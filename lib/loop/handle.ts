/**
 * The one owner of a descriptor on the loop, as libuv's `uv_handle_t` is: the fd, whether it is
 * closed, its slot on the loop's coarse timer and the close sequence (deadline cleared,
 * registration dropped, fd closed, once). A socket owner (a tunnel, an HTTP connection, a
 * listener) keeps one `Handle` per descriptor and only its protocol of its own; the number of a
 * closed handle reads -1, so a late call fails with EBADF instead of reaching whoever reuses it.
 *
 * @module
 */
import { C } from "./_libc.ts";
import type { EventLoop } from "./loop.ts";
import type { SocketHandler, Timed } from "./_types.ts";
import type { SockAddr } from "./sockaddr.ts";
import { connectSocket } from "./socket.ts";

/** What a handle's deadline calls: the protocol object that owns the handle. */
export interface DeadlineOwner {
  /** The handle's deadline passed (at most one tick late); it is cleared before this call. */
  onDeadline(now: number): void;
}

/** One descriptor on one loop: fd, closed state, deadline slot and the close sequence. */
export class Handle implements Timed {
  /** The loop's bookkeeping for this handle's deadline (-1: none). */
  timerSlot = -1;
  /** The loop the descriptor is on. */
  readonly loop: EventLoop;
  #fd: number;
  #owner: DeadlineOwner | undefined;

  /**
   * Takes ownership of `fd` (open, nonblocking, not necessarily registered).
   *
   * @param loop the loop `fd` is (or will be) registered with
   * @param fd the descriptor; the handle closes it
   * @param owner what the handle's deadline calls back, if it will have one
   */
  constructor(loop: EventLoop, fd: number, owner?: DeadlineOwner) {
    this.loop = loop;
    this.#fd = fd;
    this.#owner = owner;
  }

  /**
   * Starts a nonblocking connect to `addr` and registers it with `handler`: `onWritable` means
   * connected, `onHangup` failed (`loop.socketError(handle.fd)` says why).
   *
   * @returns the handle, or the errno negated when the connect failed at once (nothing is open)
   */
  static connect(
    loop: EventLoop,
    addr: SockAddr,
    handler: SocketHandler,
    owner?: DeadlineOwner,
  ): Handle | number {
    const fd = connectSocket(loop, addr, handler);
    return fd < 0 ? fd : new Handle(loop, fd, owner);
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Whether {@link close} or {@link reset} has run. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Registers the descriptor with the loop (edge-triggered, reading, writing, the peer's FIN).
   *
   * @returns 0, or the errno of epoll_ctl (the handle stays open: close it)
   */
  watch(handler: SocketHandler): number {
    return this.#fd < 0 ? C.EBADF : this.loop.watch(this.#fd, handler);
  }

  /** Sets (or moves) the deadline to `at` on the loop's clock; one array store when moved. */
  setDeadline(at: number): void {
    if (this.#fd >= 0) this.loop.setDeadline(this, at);
  }

  /** Clears the deadline, if set. */
  clearDeadline(): void {
    if (this.timerSlot >= 0) this.loop.clearDeadline(this);
  }

  /** @internal the loop's timer: passes the deadline on to the owner */
  onDeadline(now: number): void {
    this.#owner?.onDeadline(now);
  }

  /**
   * Clears the deadline, drops the registration (events already fetched are dropped too) and
   * closes the descriptor.
   *
   * @returns false when the handle was closed already (nothing done)
   */
  close(): boolean {
    const fd = this.#fd;
    if (fd < 0) return false;
    this.#fd = -1;
    if (this.timerSlot >= 0) this.loop.clearDeadline(this);
    this.loop.close(fd);
    return true;
  }

  /**
   * An abortive close: SO_LINGER 0, then {@link close}, so the peer gets a reset (RST) instead
   * of a FIN and cannot take what it has for a whole stream. Bytes not yet sent are dropped.
   *
   * @returns false when the handle was closed already
   */
  reset(): boolean {
    if (this.#fd < 0) return false;
    const linger = new Uint8Array(new Int32Array([1, 0]).buffer); // { l_onoff: 1, l_linger: 0 }
    this.loop.libc.sym.setsockopt(this.#fd, C.SOL_SOCKET, C.SO_LINGER, linger, 8);
    return this.close();
  }
}
