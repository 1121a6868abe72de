/**
 * What every connection of one server shares: the parser, the fast-path table, the Date, one
 * batch buffer, the timeouts and the handler. One per server (and so per loop and thread).
 *
 * @module
 */
import type { HttpDate } from "./_date.ts";
import type { FastAnswers, Prebuilt } from "./_fast.ts";
import type { RequestParser } from "./_parser.ts";
import type { Session } from "./_session.ts";

/** The shared state of one server's sessions. */
export interface Http1Env {
  parser: RequestParser;
  /** null when the fast path is off */
  fast: FastAnswers | null;
  date: HttpDate;
  /** The loop's clock (ms), read once per round of events. */
  now: number;
  /** Where a pipelined batch of answers is gathered for one send. */
  batch: Uint8Array;
  /** The Server header of the engine's own error answers. */
  serverName: string;
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  sendTimeoutMs: number;
  /** Requests parsed (every answer the server gave or will give). */
  requests: number;
  /** The request the parser holds, as a `Request`, or the status to refuse it with. */
  toRequest(session: Session): Request | number;
  /** Asks the handler. */
  respond(req: Request, session: Session): Response | Promise<Response>;
  /** The answer to a handler that threw (logged). */
  failed(req: Request, err: unknown): Response;
  /** Called for each fast-path answer (the access log); null when nothing wants it. */
  onFast: ((session: Session, method: string, target: string, answer: Prebuilt) => void) | null;
  /** The parser refused a request with `status`. */
  onError?: (session: Session, status: number, bytes: number) => void;
  /** A response body failed while streaming (the connection is closed). */
  onStreamError?: (err: unknown) => void;
}
