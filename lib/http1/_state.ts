/**
 * What an HTTP/1.1 connection waits for: the one state a session (`_session.ts`) has (HAProxy names a
 * stream's states the same way), from which its deadline and whether it reads follow.
 *
 * @module
 */

/** What a connection waits for. */
export const State = {
  /** Between requests, nothing held: the keep-alive deadline runs. */
  Idle: 0,
  /** A request head is due (or partly in): the header deadline runs. */
  Head: 1,
  /** A request body is being skipped: the header deadline runs. */
  Body: 2,
  /** The handler is answering a request (its answer may be on its way out). */
  Handler: 3,
  /** Answers wait for the socket; the next request is parsed once they left. */
  Sending: 4,
  /** The last answer waits for the socket; then the connection closes. */
  Closing: 5,
  /** Done; the socket is closed (or lingering, which is the owner's business). */
  Closed: 6,
} as const;
/** One of {@link State}'s values. */
export type State = typeof State[keyof typeof State];
