/**
 * What a session needs from its socket: the seam between the protocol (`_session.ts`) and the
 * engine that owns the descriptor (`server.ts`, or a test).
 *
 * @module
 */

import type { FileBody } from "../http/file_response.ts";

/** What a session needs from its socket. */
export interface SessionIO {
  /**
   * Sends `bytes[0..len)` now; returns how many the kernel took, or -1 when the peer is gone.
   * `more`: something follows at once (the FIN, or a file), so the kernel may hold the bytes for
   * it (MSG_MORE) and both leave in one segment.
   */
  send(bytes: Uint8Array, len: number, more?: boolean): number;
  /**
   * Sends `parts` in order with one writev(2); returns how many bytes the kernel took, or -1
   * when the peer is gone. Without it, pending parts are sent one send at a time.
   */
  sendv?(parts: Uint8Array[]): number;
  /**
   * Opens the file a body names, for {@link sendFile}, if it is still the file the handler
   * described; -1 when not (the body is then streamed). Without it, bodies are always streamed.
   */
  openFile?(body: FileBody): number;
  /**
   * Sends up to `count` bytes of `file` from `offset` (sendfile(2)): how many the socket took,
   * 0 when the file ended first, {@link FILE_FULL} when the socket is full, {@link FILE_FAILED}
   * when the peer is gone or the file cannot be read.
   */
  sendFile?(file: number, offset: number, count: number): number;
  /** Closes a descriptor {@link openFile} gave. */
  closeFile?(file: number): void;
  /**
   * Closes the socket (the session is finished). `gently`: a last answer was sent; when input
   * may be left unread (`unread`, or the socket had more), shut the write side first and read
   * and drop for a while (nginx's lingering close): closing a socket with unread input resets
   * it, and the reset destroys the answer just sent.
   */
  close(gently?: boolean, unread?: boolean): void;
  /** Reads again: the session can take more bytes now (sockets are edge-triggered). */
  resume(): void;
  /** Moves the connection's deadline (on the loop's clock); 0 clears it. */
  setDeadline(at: number): void;
}

/** {@link SessionIO.sendFile}: the socket is full, wait until it is writable. */
export const FILE_FULL = -1;
/** {@link SessionIO.sendFile}: the peer is gone or the file failed; close. */
export const FILE_FAILED = -2;
