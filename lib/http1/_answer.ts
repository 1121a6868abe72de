/**
 * The slow path's second half: the static handler's `Response` for one request written back on
 * its session, head and body, with backpressure. A small body leaves with its head in one write
 * (and is remembered for the fast path when it may be replayed); a larger one is streamed, or,
 * when it is a stretch of a file ({@link FileResponse}), sent by the kernel with sendfile(2).
 *
 * @module
 */
import type { Http1Env } from "./_env.ts";
import { type ConnForm, FastAnswers, replayable } from "./_fast.ts";
import { errorHead, serializeHead } from "./_serialize.ts";
import type { Session } from "./_session.ts";
import { FileResponse } from "../http/file_response.ts";

/** How the request was asked, as far as its answer depends on it. */
export interface Asked {
  head: boolean;
  minor: number;
  keepAlive: boolean;
  form: ConnForm;
  /** The loop's clock when the request was parsed. */
  started: number;
}

/** Largest body read whole to be sent with its head in one write. */
const WHOLE_BODY = 256 * 1024;

/** Where the engine keeps a request's raw target on the `Request` it built. */
export const TARGET = Symbol("netlab.target");

const CRLF = new TextEncoder().encode("\r\n");
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

/**
 * Asks the handler for `req` (or refuses it with the status) and writes the answer on `s`. The
 * loop is told async work is in flight ({@link Http1Env.hold}) until the answer is out, so the
 * handler's promise and a streamed body advance every round of events, not every 20 ms.
 */
export async function answer(
  s: Session,
  env: Http1Env,
  req: Request | number,
  asked: Asked,
): Promise<void> {
  if (typeof req === "number") {
    refuse(s, env, req, asked.started);
    return;
  }
  env.hold();
  try {
    await respond(s, env, req, asked);
  } finally {
    env.release();
  }
}

async function respond(s: Session, env: Http1Env, req: Request, asked: Asked): Promise<void> {
  const t0 = performance.now();
  let res: Response;
  try {
    const r = env.respond(req, s);
    res = r instanceof Promise ? await r : r;
  } catch (err) {
    res = env.failed(req, err);
  }
  if (s.closed) {
    void res.body?.cancel();
    env.onAnswered?.(s, req, res.status, 0, t0);
    return;
  }
  const { head, minor, keepAlive } = asked;
  const h = serializeHead(res, { head, minor, keepAlive, date: env.date.text });
  const headBytes = new TextEncoder().encode(h.text);
  // where this answer's body begins on the connection: the access log counts what left after it
  const bodyStart = s.queuedBytes + headBytes.length;
  // a large file's bytes go from the page cache to the socket with sendfile(2), if the engine can
  const file = h.framing === "length" && h.length > WHOLE_BODY && res instanceof FileResponse &&
      res.file.length === h.length
    ? s.openFile(res.file)
    : -1;
  try {
    if (file >= 0) {
      void res.body?.cancel();
      const sent = s.sendFile(headBytes, file, (res as FileResponse).file.start, h.length);
      if (sent !== null) await sent;
    } else if (h.framing === "none") {
      void res.body?.cancel();
      s.write(headBytes, headBytes.length, env.now);
      rememberNotModified(env, req, res);
    } else if (h.framing === "length" && h.length <= WHOLE_BODY) {
      const body = await res.bytes();
      const all = new Uint8Array(headBytes.length + body.length);
      all.set(headBytes);
      all.set(body, headBytes.length);
      if (
        s.write(all, all.length, env.now) && env.fast !== null && req.method === "GET" &&
        replayable(res) && plain(req)
      ) {
        env.fast.rememberOk(
          keyOf(req),
          res,
          body,
          asked.started,
        );
      }
    } else {
      s.write(headBytes, headBytes.length, env.now);
      await stream(s, env, res.body!, h.framing === "chunked");
    }
  } catch (err) {
    env.onStreamError?.(err);
    s.close();
  }
  if (env.onAnswered !== null) await logSent(s, env, req, res.status, bodyStart, t0);
  if (s.closed) return;
  if (!h.keepAlive || asked.form === 1 || s.draining) return s.closeWhenSent();
  s.answered();
}

/**
 * Once the answer's bytes have left (or the connection closed), tells the access log how many of
 * its body's bytes the kernel took: a download cut short is logged with what was sent.
 */
async function logSent(
  s: Session,
  env: Http1Env,
  req: Request,
  status: number,
  bodyStart: number,
  t0: number,
): Promise<void> {
  const wait = s.whenSent();
  if (wait !== null) await wait;
  env.onAnswered!(s, req, status, Math.max(0, s.sentBytes - bodyStart), t0);
}

/** Answers a request the parser (or the engine) refused with the engine's own error, then closes. */
export function refuse(s: Session, env: Http1Env, status: number, now: number): void {
  const bytes = new TextEncoder().encode(errorHead(status, env.serverName, env.date.text));
  env.onError?.(s, status, bytes.length);
  s.write(bytes, bytes.length, now, true);
  if (!s.closed) s.closeWhenSent();
}

/** Streams a body, waiting for the socket whenever the kernel's buffer is full. */
async function stream(
  s: Session,
  env: Http1Env,
  body: ReadableStream<Uint8Array>,
  chunked: boolean,
): Promise<void> {
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (s.closed) return;
      if (done) break;
      if (value.length === 0) continue;
      if (chunked) {
        const size = new TextEncoder().encode(`${value.length.toString(16)}\r\n`);
        s.write(size, size.length, env.now);
        s.write(value, value.length, env.now);
        s.write(CRLF, 2, env.now);
      } else s.write(value, value.length, env.now);
      const wait = s.whenSent();
      if (wait !== null) await wait;
    }
    if (chunked) s.write(LAST_CHUNK, LAST_CHUNK.length, env.now);
  } finally {
    if (s.closed) void reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function rememberNotModified(env: Http1Env, req: Request, res: Response): void {
  const fast = env.fast;
  const inm = req.headers.get("if-none-match");
  if (fast === null || res.status !== 304 || inm === null || !plain(req)) return;
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
