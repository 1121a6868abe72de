/**
 * The static file handler both servers share: a plain `(Request) => Promise<Response>` function
 * over a root directory, tested by calling it directly.
 *
 * @module
 */
import { resolve } from "node:path";
import { getLogger } from "@logtape/logtape";
import { VERSION } from "../version.ts";
import { FileCache } from "./_cache.ts";
import type { Compressor } from "./compressor.ts";
import type { Entry } from "./_entry.ts";
import type { DeniedEntry } from "./_cache.ts";
import { DeniedLog } from "./_denied_log.ts";
import { listingResponse } from "./_listing.ts";
import { targetStart } from "./_host.ts";
import { resolvePath } from "./_path.ts";
import { type RespondContext, respondWithFile } from "./_respond.ts";
import { createCpuBurner, DEMO_PATH, demoResponse } from "./demo.ts";
import { withAuth } from "./_auth.ts";
import type { Credential } from "./_credentials.ts";
import { cacheControlFor, type HeaderField } from "./_headers.ts";
import { spaPath, wantsSpa } from "./_spa.ts";

export type { Credential, HeaderField };

/** A request handler, as `Deno.serve` takes it. */
export type Handler = (req: Request, info?: Deno.ServeHandlerInfo) => Promise<Response>;

/** How the static handler serves its root. */
export interface StaticOptions {
  /** Directory to serve. */
  root: string;
  /** Show an HTML listing for directories without index.html. @default {false} */
  list?: boolean;
  /** Serve files and directories whose names start with a dot. @default {false} */
  dotfiles?: boolean;
  /** Add `Access-Control-Allow-Origin: *` and answer CORS preflights. @default {false} */
  cors?: boolean;
  /** gzip/brotli compressible types for clients that accept them. @default {true} */
  compress?: boolean;
  /** Files up to this size are kept in memory with precomputed headers. @default {262144} */
  cacheMaxFileBytes?: number;
  /** Enable `GET /_netlab/work?ms=N` (burns N ms of CPU). @default {false} */
  demoRoutes?: boolean;
  /**
   * The clock the cache revalidates by, in ms since the epoch; tests pass one they can move.
   * @default {Date.now}
   */
  clock?: () => number;
  /**
   * Makes the compressed variants of cached files off this thread (see `WorkerCompressor`). A
   * client that takes gzip waits for its own file's gzip when no other file's is being made, and
   * is otherwise answered uncompressed at once; brotli is never waited for (gzip, or the plain
   * file, stands in until it is ready). The servers always pass one; not structured-cloneable, so
   * a pool worker makes its own. @default {variants made on this thread, on first use}
   */
  compressor?: Compressor;
  /**
   * Send `FILE.br` / `FILE.gz`, when as new as FILE, for FILE to clients that accept the coding.
   * @default {true}
   */
  precompressed?: boolean;
  /**
   * Single-page app: a GET/HEAD for a missing path whose last segment has no extension, from a
   * client whose Accept names text/html, gets this file (relative to the root) with 200.
   * @default {undefined, off}
   */
  spa?: string;
  /** Header fields added to every response (lower-case names, checked by `parseHeaderFlags`). */
  headers?: HeaderField[];
  /**
   * Cache-Control for files; `immutable-hashed`: a year and `immutable` for names with a content
   * hash, `no-cache` for the rest. @default {undefined, none}
   */
  cacheControl?: string;
  /** Who may read: with any, every request but OPTIONS needs Basic credentials. */
  auth?: Credential[];
}

/**
 * Files up to this size are cached in memory unless told otherwise.
 *
 * @example
 * ```ts
 * import { DEFAULT_CACHE_MAX_FILE_BYTES } from "@netlab/netlab/http";
 * console.log(DEFAULT_CACHE_MAX_FILE_BYTES); // 262144
 * ```
 */
export const DEFAULT_CACHE_MAX_FILE_BYTES = 256 * 1024;
const CACHE_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const REVALIDATE_MS = 1000;
/** Distinct raw paths remembered for the hot path before it starts over. */
const HOT_PATHS = 4096;
const ALLOW = "GET, HEAD";
/**
 * Methods RFC 9110 (and RFC 5789, PATCH) define: refused with 405 and Allow. Any other method is
 * one the server does not implement at all: 501 (RFC 9110 section 15.6.2).
 */
const KNOWN_METHODS = new Set(["POST", "PUT", "DELETE", "CONNECT", "TRACE", "PATCH"]);

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  412: "Precondition Failed",
  416: "Range Not Satisfiable",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Seconds a client is asked to wait when the server ran out of file descriptors. */
const RETRY_AFTER_S = 1;

/** Whether `err` says the process (or the system) ran out of file descriptors. */
function outOfDescriptors(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/** Like {@link Handler}, but answers synchronously when it can (cached files). */
export type Responder = (
  req: Request,
  info?: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/**
 * Creates the static file handler for `options.root`, answering cached files synchronously:
 * `Deno.serve` takes that as is and skips a promise per request.
 *
 * Errors thrown while serving are logged (category `netlab.http`) and answered with a 500, or a
 * 503 with `Retry-After` when the server ran out of file descriptors (EMFILE, ENFILE).
 *
 * @param options The root and what to allow.
 * @returns A responder for `Deno.serve`.
 *
 * @example
 * ```ts ignore
 * import { createStaticResponder } from "@netlab/netlab/http";
 *
 * Deno.serve({ port: 8000 }, createStaticResponder({ root: "./www" }));
 * ```
 */
export function createStaticResponder(options: StaticOptions): Responder {
  const root = resolve(options.root);
  const dotfiles = options.dotfiles ?? false;
  const clock = options.clock ?? Date.now;
  const common: Record<string, string> = { server: `netlab/${VERSION}` };
  if (options.cors) {
    common["access-control-allow-origin"] = "*";
    common["access-control-expose-headers"] =
      "Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified";
  }
  for (const [name, value] of options.headers ?? []) common[name] = value;
  const authenticated = (options.auth?.length ?? 0) > 0;
  const policy = options.cacheControl;
  const spa = options.spa === undefined ? null : spaPath(root, options.spa);
  if (spa !== null && "error" in spa) throw new TypeError(`spa "${options.spa}": ${spa.error}`);
  const cache = new FileCache({
    root,
    maxFileBytes: options.cacheMaxFileBytes ?? DEFAULT_CACHE_MAX_FILE_BYTES,
    maxTotalBytes: CACHE_MAX_TOTAL_BYTES,
    revalidateMs: REVALIDATE_MS,
    common,
    compress: options.compress ?? true,
    clock,
    ...(options.compressor !== undefined ? { compressor: options.compressor } : {}),
    precompressed: options.precompressed ?? true,
    ...(policy !== undefined
      ? {
        headersFor: (path: string) => {
          const value = cacheControlFor(
            policy,
            path.slice(path.lastIndexOf("/") + 1),
            authenticated,
          );
          return value === null ? null : { "cache-control": value };
        },
      }
      : {}),
  });
  const logger = getLogger(["netlab", "http"]);
  const error = (status: number, extra?: Record<string, string>, head = false): Response => {
    const text = `${status} ${STATUS_TEXT[status] ?? ""}\n`;
    // an explicit length, or Deno would send "Content-Length: 0" for HEAD's null body
    return new Response(head ? null : text, {
      status,
      headers: {
        ...common,
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(text.length),
        ...extra,
      },
    });
  };
  const lookup = async (path: string): Promise<Entry | DeniedEntry | null> => {
    const e = cache.lookup(path, clock());
    return e instanceof Promise ? await e : e;
  };

  const notFound = async (head: boolean): Promise<Response> => {
    const page = await lookup(`${root}/404.html`);
    if (page?.kind !== "file" || page.body === null) return error(404, undefined, head);
    return new Response(head ? null : page.body, {
      status: 404,
      headers: {
        ...common,
        "content-type": page.contentType,
        "content-length": String(page.size),
      },
    });
  };

  // a file or folder the server may not read: 403, and why in the log (at most once a second)
  const denied = new DeniedLog(logger, clock);
  const forbidden = (req: Request, pathname: string, path: string, head: boolean): Response => {
    denied.note(req.method, pathname, path, "permission denied");
    return error(403, undefined, head);
  };

  const ctx: RespondContext = { cache, error, notFound };
  if (options.compressor !== undefined) ctx.compressor = options.compressor;
  // Made here, once per thread: each pool worker builds its own handler and so its own clock.
  const burner = options.demoRoutes ? createCpuBurner() : undefined;

  const options204 = (req: Request): Response => {
    const headers: Record<string, string> = { ...common, allow: ALLOW };
    if (options.cors && req.headers.has("access-control-request-method")) {
      headers["access-control-allow-methods"] = ALLOW;
      headers["access-control-allow-headers"] = req.headers.get("access-control-request-headers") ??
        "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
      headers["access-control-max-age"] = "86400";
    }
    return new Response(null, { status: 204, headers });
  };

  // Raw request path -> the file path a full resolution of that same raw path produced. Lets a
  // hot file skip URL parsing and decoding; the entry itself still comes from the cache (so
  // eviction frees it) and only while fresh, else the full path re-resolves it.
  const hot = new Map<string, string>();
  const remember = (key: string, path: string): void => {
    if (hot.size >= HOT_PATHS) hot.clear();
    hot.set(key, path);
  };

  const handle = async (req: Request, start: number, key: string | null): Promise<Response> => {
    const method = req.method;
    const head = method === "HEAD";
    if (method !== "GET" && !head) {
      if (method === "OPTIONS") return options204(req);
      return KNOWN_METHODS.has(method) ? error(405, { allow: ALLOW }) : error(501);
    }
    const raw = req.url;
    // the URL parser would read a backslash as a slash: no file is named so, refuse it as sent
    if (raw.indexOf("\\", start) >= 0) return error(400, undefined, head);
    // the Host is checked, so the path below is the request target's alone
    const url = URL.parse(raw);
    if (url === null) return error(400, undefined, head);
    const pathname = url.pathname;
    if (burner && pathname === DEMO_PATH) return demoResponse(url, common, burner);
    // remember only raw paths the parser reads the same, so the key is the path served
    if (key !== pathname) key = null;
    const resolved = resolvePath(root, pathname, dotfiles);
    if (!resolved.ok) {
      return resolved.status === 404 ? await notFound(head) : error(400, undefined, head);
    }
    const entry = await lookup(resolved.path);
    if (entry === null && spa !== null && wantsSpa(pathname, req.headers.get("accept"))) {
      return await spaPage(req, spa.path, head);
    }
    if (entry === null) return await notFound(head);
    if (entry.kind === "denied") return forbidden(req, pathname, entry.path, head);
    if (entry.kind === "file") {
      if (pathname.endsWith("/")) return await notFound(head);
      if (key !== null && entry.body !== null) remember(key, entry.path);
      return await respondWithFile(req, entry, ctx);
    }
    // rebuilt from decoded segments, so "//evil.example" can never become a Location
    const urlPath = resolved.segments.length === 0
      ? "/"
      : `/${resolved.segments.map(encodeURIComponent).join("/")}/`;
    if (!pathname.endsWith("/")) {
      return new Response(null, {
        status: 301,
        headers: { ...common, location: urlPath + url.search },
      });
    }
    const index = await lookup(`${resolved.path}/index.html`);
    if (index?.kind === "denied") return forbidden(req, pathname, index.path, head);
    if (index?.kind === "file") {
      if (key !== null && index.body !== null) remember(key, index.path);
      return await respondWithFile(req, index, ctx);
    }
    if (options.list) {
      const realRoot = await cache.realRoot();
      const listing = await listingResponse(
        resolved.path,
        urlPath,
        url.searchParams,
        { head, dotfiles, common, realRoot },
      );
      if (listing !== null) return listing;
    }
    return await notFound(head);
  };

  // the app's page for a deep link: it varies with Accept, which also keeps it off the fast path
  const spaPage = async (req: Request, path: string, head: boolean): Promise<Response> => {
    const page = await lookup(path);
    if (page?.kind !== "file") return await notFound(head);
    const res = await respondWithFile(req, page, ctx);
    res.headers.append("vary", "Accept");
    return res;
  };

  const failed = (req: Request, err: unknown): Response => {
    let url = "?";
    try {
      url = req.url;
    } catch {
      // the error may come from the request itself; the log line must not throw again
    }
    // out of descriptors is the server's state, not the request's fault, and passes: say so
    if (outOfDescriptors(err)) {
      logger.warn("Cannot serve {method} {url}: {error}; answered 503", {
        method: req.method,
        url,
        error: err instanceof Error ? err.message : String(err),
      });
      return error(503, { "retry-after": String(RETRY_AFTER_S) }, req.method === "HEAD");
    }
    logger.error("Unexpected error serving {method} {url}: {error}", {
      method: req.method,
      url,
      error: err,
    });
    return error(500, undefined, req.method === "HEAD");
  };

  const respond: Responder = (req) => {
    try {
      const start = targetStart(req.url, req.headers.get("host"));
      if (start < 0) return error(400, undefined, req.method === "HEAD");
      const key = hotKey(req, start);
      if (key !== null) {
        const path = hot.get(key);
        const entry = path === undefined ? undefined : cache.fresh(path, clock());
        if (entry !== undefined) {
          const res = respondWithFile(req, entry, ctx);
          return res instanceof Promise ? res.catch((err) => failed(req, err)) : res;
        }
      }
      return handle(req, start, key).catch((err) => failed(req, err));
    } catch (err) {
      return failed(req, err);
    }
  };
  return authenticated ? withAuth(respond, options.auth!, common, clock) : respond;
}

/**
 * The raw path of a GET/HEAD request without its query, or null when it may not take the hot path:
 * only plain paths qualify, so an odd spelling of a path never shares a key with a normal one.
 * `start` is where the request target begins in `req.url`.
 */
function hotKey(req: Request, start: number): string | null {
  const method = req.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const url = req.url;
  const q = url.indexOf("?", start);
  const key = q < 0 ? url.slice(start) : url.slice(start, q);
  return HOT_KEY.test(key) ? key : null;
}

/** Paths without dot segments, empty segments, percent signs or backslashes. */
const HOT_KEY = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;

/**
 * Creates the static file handler for `options.root`: {@link createStaticResponder} with the
 * {@link Handler} signature.
 *
 * @param options The root and what to allow (listings, dotfiles, CORS, compression, demo routes).
 * @returns A handler for `Deno.serve`, or to call directly with a `Request`.
 *
 * @example Serve a directory with Deno.serve
 * ```ts ignore
 * import { createStaticHandler } from "@netlab/netlab/http";
 *
 * const handler = createStaticHandler({ root: "./www", cors: true });
 * Deno.serve({ port: 8000 }, handler);
 * ```
 *
 * @example Call it without a socket
 * ```ts ignore
 * import { createStaticHandler } from "@netlab/netlab/http";
 *
 * const handler = createStaticHandler({ root: "./www" });
 * const res = await handler(new Request("http://localhost/page.html"));
 * console.log(res.status, res.headers.get("etag"));
 * ```
 */
export function createStaticHandler(options: StaticOptions): Handler {
  const respond = createStaticResponder(options);
  return (req, info) => Promise.resolve(respond(req, info));
}
