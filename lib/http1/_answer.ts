/**
 * The slow path's answer as bytes: the static handler's `Response` in, its head bytes and where
 * its body comes from out (none, read whole and sent with the head, a stretch of a file for
 * sendfile(2), or a stream). Pure: it never sees a session or a socket; the session sends what
 * this describes (`_session.ts`). Also the engine's own refusals, chunk framing, and what the
 * fast path may remember of an answer.
 *
 * @module
 */
import { FastAnswers, replayable } from "./_fast.ts";
import type { ConnForm } from "./_fast.ts";
import { errorHead, serializeHead } from "./_serialize.ts";
import { type FileBody, FileResponse } from "../http/file_response.ts";

/** How the request was asked, as far as its answer depends on it. */
export interface Asked {
  head: boolean;
  minor: number;
  keepAlive: boolean;
  form: ConnForm;
  /** The loop's clock when the request was parsed. */
  started: number;
}

/** Where an answer's body comes from. */
export type BodySource =
  /** No body (HEAD, 204, 304, an empty body). */
  | { kind: "none" }
  /** A small body, read whole and sent with its head in one write. */
  | { kind: "whole"; length: number }
  /** A stretch of a file, for sendfile(2) when the socket can. */
  | { kind: "file"; file: FileBody; length: number }
  /** A stream: `length` bytes exactly, or chunked (`length` -1), or until the close. */
  | { kind: "stream"; chunked: boolean; length: number };

/** One answer as the session sends it. */
export interface Framed {
  head: Uint8Array;
  body: BodySource;
  /** Whether the connection stays open after this answer. */
  keepAlive: boolean;
}

/** Largest body read whole to be sent with its head in one write. */
const WHOLE_BODY = 256 * 1024;

/** Where the engine keeps a request's raw target on the `Request` it built. */
export const TARGET = Symbol("netlab.target");

/** A chunk's trailing CRLF. */
export const CRLF: Uint8Array = new TextEncoder().encode("\r\n");
/** The last chunk of a chunked body, with no trailer. */
export const LAST_CHUNK: Uint8Array = new TextEncoder().encode("0\r\n\r\n");
const enc = new TextEncoder();

/** Frames `res` as the answer to a request asked as `asked`; `date` is the Date value. */
export function frameAnswer(res: Response, asked: Asked, date: string): Framed {
  const h = serializeHead(res, {
    head: asked.head,
    minor: asked.minor,
    keepAlive: asked.keepAlive,
    date,
  });
  const head = enc.encode(h.text);
  const keepAlive = h.keepAlive && asked.form !== 1;
  if (h.framing === "none") return { head, body: { kind: "none" }, keepAlive };
  if (h.framing === "length") {
    // a large file's bytes go from the page cache to the socket with sendfile(2), if it can
    if (h.length > WHOLE_BODY && res instanceof FileResponse && res.file.length === h.length) {
      return { head, body: { kind: "file", file: res.file, length: h.length }, keepAlive };
    }
    if (h.length <= WHOLE_BODY) {
      return { head, body: { kind: "whole", length: h.length }, keepAlive };
    }
  }
  const chunked = h.framing === "chunked";
  return { head, body: { kind: "stream", chunked, length: h.length }, keepAlive };
}

/** The size line of a chunk of `n` bytes. */
export function chunkSize(n: number): Uint8Array {
  return enc.encode(`${n.toString(16)}\r\n`);
}

/** The engine's own answer refusing a request with `status` (the connection then closes). */
export function refusal(status: number, server: string, date: string, fields = ""): Uint8Array {
  return enc.encode(errorHead(status, server, date, fields));
}

/** Remembers a 200 the handler gave a plain GET (its body read whole) for the fast path. */
export function rememberOk(
  fast: FastAnswers,
  req: Request,
  res: Response,
  body: Uint8Array,
  now: number,
): void {
  if (req.method !== "GET" || !replayable(res) || !plain(req)) return;
  fast.rememberOk(keyOf(req), res, body, now);
}

/** Remembers a 304 the handler gave an `If-None-Match` for the fast path. */
export function rememberNotModified(fast: FastAnswers, req: Request, res: Response): void {
  const inm = req.headers.get("if-none-match");
  if (res.status !== 304 || inm === null || !plain(req)) return;
  fast.rememberNotModified(keyOf(req), res, inm);
}

/** Whether nothing in the request makes its answer depend on more than target and coding. */
function plain(req: Request): boolean {
  const h = req.headers;
  return !h.has("range") && !h.has("if-match") && !h.has("if-modified-since") &&
    !h.has("if-unmodified-since") && !h.has("if-range");
}

/** The fast-path key of the request (see {@link FastAnswers.key}). */
function keyOf(req: Request): string {
  const h = req.headers;
  return FastAnswers.key(targetOf(req), h.get("accept-encoding"), h.get("authorization"));
}

function targetOf(req: Request): string {
  return (req as Request & { [TARGET]?: string })[TARGET] ?? "";
}
