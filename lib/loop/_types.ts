/**
 * The event loop's contracts: what a socket owner and a deadline owner implement, the loop's
 * options, and the longest deadline. `loop.ts` (and through it `mod.ts`) re-exports them.
 *
 * @module
 */

/** Something that owns a registered socket and is told what happened to it. */
export interface SocketHandler {
  /**
   * Bytes (or a FIN) arrived. Edge-triggered: read until recv() returns less than asked for, 0
   * or -EAGAIN, or stop reading and remember that more may be there. `rdhup` is true when the
   * peer has sent its FIN: after the data comes a 0.
   */
  onReadable(rdhup: boolean): void;
  /**
   * The socket can take bytes again (or, after a connect, it is connected). Edge-triggered:
   * it comes once per change from full to not full.
   */
  onWritable(): void;
  /**
   * An error or hang-up (EPOLLERR/EPOLLHUP): a failed connect, a reset, or both directions
   * done. Read `socketError()` or recv() to learn which; no other callback comes with it.
   */
  onHangup(): void;
}

/** Something with a deadline on the loop's coarse timer. */
export interface Timed {
  /** The loop's bookkeeping: -1 while no deadline is set. Initialise it to -1. */
  timerSlot: number;
  /** The deadline passed (at most one tick late). It is cleared before this is called. */
  onDeadline(now: number): void;
}

/** Options for {@linkcode EventLoop}. */
export interface EventLoopOptions {
  /** How often deadlines are swept, in milliseconds (their precision). @default {100} */
  tickMs?: number;
  /**
   * Called with an error a callback threw; the loop goes on with the next event.
   * @default rethrows it outside the loop (an uncaught error)
   */
  onError?: (err: unknown) => void;
  /**
   * Microtask turns the loop waits after each round of callbacks, for owners that resolve
   * promises (`AsyncSocket`): the woken code then reaches its next wait before the loop blocks
   * in epoll_wait again, instead of waiting out a blocked poll. Callback owners need none.
   * @default {0}
   */
  microtaskTurns?: number;
}

/** The most a deadline may lie ahead (setTimeout's limit, about 24.8 days). */
export const MAX_DELAY_MS = 2 ** 31 - 1;
