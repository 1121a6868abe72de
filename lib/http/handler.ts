/**
 * The static file handler both servers share: a plain `(Request) => Promise<Response>` function
 * over a root directory, tested by calling it directly.
 *
 * @module
 */
import type { Compressor } from "./compressor.ts";
import { withAuth } from "./_auth.ts";
import type { Credential } from "./_credentials.ts";
import type { HeaderField } from "./_headers.ts";
import {
  commonHeaders,
  DEFAULT_CACHE_MAX_FILE_BYTES as SITE_CACHE_MAX_FILE_BYTES,
} from "./_site_setup.ts";
import { StaticSite } from "./_static.ts";

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
export const DEFAULT_CACHE_MAX_FILE_BYTES: number = SITE_CACHE_MAX_FILE_BYTES;

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
  const common = commonHeaders(options);
  const site = new StaticSite(options, common);
  const respond: Responder = (req) => site.respond(req);
  if ((options.auth?.length ?? 0) === 0) return respond;
  return withAuth(respond, options.auth!, common, options.clock ?? Date.now);
}

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
