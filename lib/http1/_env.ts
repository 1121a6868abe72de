/**
 * What every connection of one server shares: the parser, the fast-path table, the Date, one
 * batch buffer, the timeouts and the handler. One per server (and so per loop and thread).
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Responder } from "../http/handler.ts";
import { elapsedMs, logAccess } from "../http/access_log.ts";
import { VERSION } from "../version.ts";
import { HttpDate } from "./_date.ts";
import { FastAnswers, type Prebuilt } from "./_fast.ts";
import { RequestParser } from "./_parser.ts";
import { TARGET } from "./_answer.ts";
import type { HeaderField } from "../http/_headers.ts";

/** A connection as the shared state sees it. */
export interface Peer {
  /** the peer's address as the access log writes it, e.g. `127.0.0.1:50412` */
  readonly client: string;
}

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
  /** The Server header of the engine's own error answers (`--header 'Server: x'`'s if given). */
  serverName: string;
  /** The site's other `--header` fields as head lines, for the engine's own error answers. */
  refusalFields: string;
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  sendTimeoutMs: number;
  /** Requests parsed (every answer the server gave or will give). */
  requests: number;
  /** Bodies sent with sendfile(2). */
  filesSent: number;
  /** The request the parser holds, as a `Request`, or the status to refuse it with. */
  toRequest(session: Peer): Request | number;
  /** Asks the handler. */
  respond(req: Request, session: Peer): Response | Promise<Response>;
  /** The answer to a handler that threw (logged). */
  failed(req: Request, err: unknown): Response;
  /**
   * Called once each handler answer has left or its connection closed, with the body bytes the
   * kernel took and `performance.now()` when the handler was asked (the access log); null when
   * nothing wants it.
   */
  onAnswered:
    | ((session: Peer, req: Request, status: number, bytes: number, t0: number) => void)
    | null;
  /** Called for each fast-path answer (the access log); null when nothing wants it. */
  onFast: ((session: Peer, method: string, target: string, answer: Prebuilt) => void) | null;
  /** The parser refused a request with `status`. */
  onError?: (session: Peer, status: number, bytes: number) => void;
  /** A response body failed while streaming (the connection is closed). */
  onStreamError?: (err: unknown) => void;
  /** Async work is in flight (a handler's answer being awaited or streamed): see `EventLoop.hold`. */
  hold(): void;
  /** That work is done. */
  release(): void;
}

/** What {@link createEnv} builds the shared state from. */
export interface EnvOptions {
  /** The handler. */
  handler: Responder;
  /** Log every answer on this logger, with the body bytes that left. */
  accessLogger: Logger | null;
  /** Called once per answered request. */
  onAnswer?: (() => void) | undefined;
  /**
   * The site's own fields (`--header`), which the engine's own answers (400, 414, 431, 500...)
   * carry too, as nginx's `add_header ... always` does.
   */
  headers?: readonly HeaderField[] | undefined;
  /** The listening authority, for requests without a Host (HTTP/1.0). */
  authority: () => string;
  /** Seconds, as the flags give them. */
  headerTimeout?: number | undefined;
  keepAliveTimeout?: number | undefined;
  sendTimeout?: number | undefined;
  /** Where unexpected errors go. */
  logger: Logger;
  /** The loop's clock now. */
  now: number;
  /** Told when a request's answer starts and stops awaiting (`EventLoop.hold`/`release`). */
  inFlight?: { hold(): void; release(): void } | undefined;
}

const BATCH_BUFFER = 256 * 1024;
/** Methods the Fetch API spells in upper case whatever was sent: "get" is not GET. */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
/** Methods a `Request` cannot carry: the engine answers them itself (405 known, 501 not). */
const FORBIDDEN = new Map([["CONNECT", 405], ["TRACE", 405], ["TRACK", 501]]);

/** Builds the state one server's sessions share. */
export function createEnv(o: EnvOptions): Http1Env {
  const httpLogger = getLogger(["netlab", "http"]);
  const infoOf = peerInfos();
  const { handler, onAnswer } = o;
  const inFlight = o.inFlight ?? null;
  const headers = o.headers ?? [];
  const env: Http1Env = {
    parser: new RequestParser(),
    fast: new FastAnswers(),
    date: new HttpDate(),
    now: o.now,
    batch: new Uint8Array(BATCH_BUFFER),
    serverName: headers.find(([name]) => name === "server")?.[1] ?? `netlab/${VERSION}`,
    refusalFields: headers.filter(([name]) => name !== "server")
      .map(([name, value]) => `${name}: ${value}\r\n`).join(""),
    headerTimeoutMs: (o.headerTimeout ?? 60) * 1000,
    keepAliveTimeoutMs: (o.keepAliveTimeout ?? 75) * 1000,
    sendTimeoutMs: (o.sendTimeout ?? 60) * 1000,
    requests: 0,
    filesSent: 0,
    toRequest: () => parsedRequest(env.parser, o.authority),
    respond(req, session): Response | Promise<Response> {
      if (onAnswer !== undefined) onAnswer();
      return handler(req, infoOf(session));
    },
    failed(req, err): Response {
      httpLogger.error("Unexpected error serving {method} {url}: {error}", {
        method: req.method,
        url: req.url,
        error: err,
      });
      return new Response("500 Internal Server Error\n", {
        status: 500,
        headers: [...headers, ["content-type", "text/plain; charset=utf-8"]],
      });
    },
    onStreamError(err) {
      o.logger.warn("A response body failed while streaming: {error}", { error: err });
    },
    hold(): void {
      if (inFlight !== null) inFlight.hold();
    },
    release(): void {
      if (inFlight !== null) inFlight.release();
    },
    ...accessHooks(o.accessLogger, onAnswer),
  };
  return env;
}

/** The request the parser holds, as a `Request`, or the status to refuse it with. */
function parsedRequest(p: RequestParser, authority: () => string): Request | number {
  const method = p.method;
  const refused = FORBIDDEN.get(method);
  if (refused !== undefined) return refused;
  const upper = method.toUpperCase();
  if (upper !== method && NORMALIZED.has(upper)) return 501;
  const h = p.host ?? authority();
  const url = p.target === "*" ? `http://${h}/` : `http://${h}${p.target}`;
  let req: Request;
  try {
    const fields = p.fields();
    // RFC 9112 section 3.2.2: an absolute-form target's authority stands in for Host
    if (p.absolute) {
      for (const f of fields) if (f[0].toLowerCase() === "host") f[1] = h;
    }
    req = new Request(url, { method, headers: fields });
  } catch (err) {
    if (err instanceof TypeError) return 400;
    throw err;
  }
  (req as Request & { [TARGET]?: string })[TARGET] = p.target;
  return req;
}

/** The handler's `info` for each connection, made on its first request and kept while it lives. */
function peerInfos(): (session: Peer) => Deno.ServeHandlerInfo {
  const infos = new WeakMap<Peer, Deno.ServeHandlerInfo>();
  return (session) => {
    let info = infos.get(session);
    if (info === undefined) {
      const [hostname, port] = splitClient(session.client);
      info = {
        remoteAddr: { transport: "tcp", hostname, port },
        completed: Promise.resolve(),
      } as Deno.ServeHandlerInfo;
      infos.set(session, info);
    }
    return info;
  };
}

/** The access log's and the answer counter's hooks; null where nothing wants them. */
function accessHooks(
  accessLogger: Logger | null,
  onAnswer: (() => void) | undefined,
): Pick<Http1Env, "onFast" | "onAnswered"> {
  const hooks: Pick<Http1Env, "onFast" | "onAnswered"> = { onFast: null, onAnswered: null };
  if (accessLogger !== null || onAnswer !== undefined) {
    hooks.onFast = (session, method, target, answer) => {
      if (onAnswer !== undefined) onAnswer();
      if (accessLogger !== null) {
        // a prebuilt answer goes to the kernel whole, with the others of its batch
        const bytes = method === "HEAD" || answer.length === "-" ? "0" : answer.length;
        logAccess(accessLogger, session.client, method, target, answer.status, bytes, 0);
      }
    };
  }
  if (accessLogger !== null) {
    hooks.onAnswered = (session, req, status, bytes, t0) => {
      const target = (req as Request & { [TARGET]?: string })[TARGET] ?? req.url;
      logAccess(
        accessLogger,
        session.client,
        req.method,
        target,
        status,
        String(bytes),
        elapsedMs(t0),
      );
    };
  }
  return hooks;
}

/** `127.0.0.1:5000` or `[::1]:5000` back into host and port. */
function splitClient(client: string): [string, number] {
  const colon = client.lastIndexOf(":");
  if (colon < 0) return [client, 0];
  const host = client.slice(0, colon);
  return [host.startsWith("[") ? host.slice(1, -1) : host, Number(client.slice(colon + 1))];
}
