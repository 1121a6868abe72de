/**
 * What a session needs from its socket, and which of its deadlines runs: the seam between the
 * protocol (`_session.ts`) and the engine that owns the descriptor (`server.ts`, or a test).
 *
 * @module
 */

/** What a session needs from its socket. */
export interface SessionIO {
  /**
   * Sends `bytes[0..len)` now; returns how many the kernel took, or -1 when the peer is gone.
   * `last`: the connection closes right after, so the kernel may hold the bytes for the FIN
   * (MSG_MORE): answer and FIN leave in one segment.
   */
  send(bytes: Uint8Array, len: number, last?: boolean): number;
  /** Closes the socket (the session is finished). */
  close(): void;
  /** Reads again: the session can take more bytes now (sockets are edge-triggered). */
  resume(): void;
  /** Moves the connection's deadline (on the loop's clock); 0 clears it. */
  setDeadline(at: number): void;
}

/** Which deadline runs: none, a head arriving (or a body skipped), idle, or a stalled send. */
export const Wait = { None: 0, Head: 1, Idle: 2, Send: 3 } as const;
/** One of {@link Wait}'s values. */
export type Wait = typeof Wait[keyof typeof Wait];
