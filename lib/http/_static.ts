/**
 * The static site behind `createStaticResponder`: one instance per handler (and so per pool
 * worker), holding the root, the file cache and the hot-path map, answering through small methods.
 *
 * @module
 */
import { resolve } from "node:path";
import { getLogger, type Logger } from "@logtape/logtape";
import type { DeniedEntry, FileCache } from "./_cache.ts";
import { createCache } from "./_site_setup.ts";
import type { Compressor } from "./compressor.ts";
import type { Entry, FileEntry } from "./_entry.ts";
import { DeniedLog } from "./_denied_log.ts";
import { listingResponse } from "./_listing.ts";
import { targetStart } from "./_host.ts";
import { resolvePath } from "./_path.ts";
import { type RespondContext, respondWithFile } from "./_respond.ts";
import { type CpuBurner, createCpuBurner, DEMO_PATH, demoResponse } from "./demo.ts";
import { spaPath, wantsSpa } from "./_spa.ts";
import type { StaticOptions } from "./handler.ts";

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

/** Paths without dot segments, empty segments, percent signs or backslashes. */
const HOT_KEY = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;

/** Whether `err` says the process (or the system) ran out of file descriptors. */
function outOfDescriptors(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
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

/** One served root: its cache, its hot paths and how it answers. */
export class StaticSite implements RespondContext {
  readonly cache: FileCache;
  readonly compressor?: Compressor;
  readonly #options: StaticOptions;
  readonly #root: string;
  readonly #dotfiles: boolean;
  readonly #clock: () => number;
  readonly #common: Record<string, string>;
  readonly #spa: { path: string } | null;
  readonly #logger: Logger;
  readonly #denied: DeniedLog;
  // Made here, once per thread: each pool worker builds its own handler and so its own clock.
  readonly #burner: CpuBurner | undefined;
  // Raw request path -> the file path a full resolution of that same raw path produced. Lets a
  // hot file skip URL parsing and decoding; the entry itself still comes from the cache (so
  // eviction frees it) and only while fresh, else the full path re-resolves it.
  readonly #hot = new Map<string, string>();

  /** @throws TypeError when `options.spa` names no servable file path */
  constructor(options: StaticOptions, common: Record<string, string>) {
    this.#options = options;
    this.#root = resolve(options.root);
    this.#dotfiles = options.dotfiles ?? false;
    this.#clock = options.clock ?? Date.now;
    this.#common = common;
    const spa = options.spa === undefined ? null : spaPath(this.#root, options.spa);
    if (spa !== null && "error" in spa) throw new TypeError(`spa "${options.spa}": ${spa.error}`);
    this.#spa = spa;
    this.cache = createCache(options, this.#root, common, this.#clock);
    if (options.compressor !== undefined) this.compressor = options.compressor;
    this.#logger = getLogger(["netlab", "http"]);
    this.#denied = new DeniedLog(this.#logger, this.#clock);
    this.#burner = options.demoRoutes ? createCpuBurner() : undefined;
  }

  /** Answers `req`: synchronously for a fresh cached file on the hot path. Never throws. */
  respond(req: Request): Response | Promise<Response> {
    try {
      const start = targetStart(req.url, req.headers.get("host"));
      if (start < 0) return this.error(400, undefined, req.method === "HEAD");
      const key = hotKey(req, start);
      if (key !== null) {
        const path = this.#hot.get(key);
        const entry = path === undefined ? undefined : this.cache.fresh(path, this.#clock());
        if (entry !== undefined) {
          const res = respondWithFile(req, entry, this);
          return res instanceof Promise ? res.catch((err) => this.#failed(req, err)) : res;
        }
      }
      return this.#handle(req, start, key).catch((err) => this.#failed(req, err));
    } catch (err) {
      return this.#failed(req, err);
    }
  }

  /** A plain-text answer for `status`, with the common headers. */
  error(status: number, extra?: Record<string, string>, head = false): Response {
    const text = `${status} ${STATUS_TEXT[status] ?? ""}\n`;
    // an explicit length, or Deno would send "Content-Length: 0" for HEAD's null body
    return new Response(head ? null : text, {
      status,
      headers: {
        ...this.#common,
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(text.length),
        ...extra,
      },
    });
  }

  /** The 404 answer: the root's 404.html when it has one. */
  async notFound(head: boolean): Promise<Response> {
    const page = await this.#lookup(`${this.#root}/404.html`);
    if (page?.kind !== "file" || page.body === null) return this.error(404, undefined, head);
    return new Response(head ? null : page.body, {
      status: 404,
      headers: {
        ...this.#common,
        "content-type": page.contentType,
        "content-length": String(page.size),
      },
    });
  }

  async #lookup(path: string): Promise<Entry | DeniedEntry | null> {
    const e = this.cache.lookup(path, this.#clock());
    return e instanceof Promise ? await e : e;
  }

  #remember(key: string | null, entry: FileEntry): void {
    if (key === null || entry.body === null) return;
    if (this.#hot.size >= HOT_PATHS) this.#hot.clear();
    this.#hot.set(key, entry.path);
  }

  // a file or folder the server may not read: 403, and why in the log (at most once a second)
  #forbidden(req: Request, pathname: string, path: string, head: boolean): Response {
    this.#denied.note(req.method, pathname, path, "permission denied");
    return this.error(403, undefined, head);
  }

  #options204(req: Request): Response {
    const headers: Record<string, string> = { ...this.#common, allow: ALLOW };
    if (this.#options.cors && req.headers.has("access-control-request-method")) {
      headers["access-control-allow-methods"] = ALLOW;
      headers["access-control-allow-headers"] = req.headers.get("access-control-request-headers") ??
        "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
      headers["access-control-max-age"] = "86400";
    }
    return new Response(null, { status: 204, headers });
  }

  async #handle(req: Request, start: number, key: string | null): Promise<Response> {
    const method = req.method;
    const head = method === "HEAD";
    if (method !== "GET" && !head) {
      if (method === "OPTIONS") return this.#options204(req);
      return KNOWN_METHODS.has(method) ? this.error(405, { allow: ALLOW }) : this.error(501);
    }
    const raw = req.url;
    // the URL parser would read a backslash as a slash: no file is named so, refuse it as sent
    if (raw.indexOf("\\", start) >= 0) return this.error(400, undefined, head);
    // the Host is checked, so the path below is the request target's alone
    const url = URL.parse(raw);
    if (url === null) return this.error(400, undefined, head);
    const pathname = url.pathname;
    if (this.#burner && pathname === DEMO_PATH) {
      return demoResponse(url, this.#common, this.#burner);
    }
    // remember only raw paths the parser reads the same, so the key is the path served
    if (key !== pathname) key = null;
    const resolved = resolvePath(this.#root, pathname, this.#dotfiles);
    if (!resolved.ok) {
      return resolved.status === 404 ? await this.notFound(head) : this.error(400, undefined, head);
    }
    const entry = await this.#lookup(resolved.path);
    if (entry === null && this.#spa !== null && wantsSpa(pathname, req.headers.get("accept"))) {
      return await this.#spaPage(req, this.#spa.path, head);
    }
    if (entry === null) return await this.notFound(head);
    if (entry.kind === "denied") return this.#forbidden(req, pathname, entry.path, head);
    if (entry.kind === "file") {
      if (pathname.endsWith("/")) return await this.notFound(head);
      this.#remember(key, entry);
      return await respondWithFile(req, entry, this);
    }
    return await this.#directory(req, url, resolved.path, resolved.segments, key);
  }

  async #directory(
    req: Request,
    url: URL,
    path: string,
    segments: string[],
    key: string | null,
  ): Promise<Response> {
    const head = req.method === "HEAD";
    const pathname = url.pathname;
    // rebuilt from decoded segments, so "//evil.example" can never become a Location
    const urlPath = segments.length === 0 ? "/" : `/${segments.map(encodeURIComponent).join("/")}/`;
    if (!pathname.endsWith("/")) {
      return new Response(null, {
        status: 301,
        headers: { ...this.#common, location: urlPath + url.search },
      });
    }
    const index = await this.#lookup(`${path}/index.html`);
    if (index?.kind === "denied") return this.#forbidden(req, pathname, index.path, head);
    if (index?.kind === "file") {
      this.#remember(key, index);
      return await respondWithFile(req, index, this);
    }
    if (this.#options.list) {
      const realRoot = await this.cache.realRoot();
      const listing = await listingResponse(path, urlPath, url.searchParams, {
        head,
        dotfiles: this.#dotfiles,
        common: this.#common,
        realRoot,
      });
      if (listing !== null) return listing;
    }
    return await this.notFound(head);
  }

  // the app's page for a deep link: it varies with Accept, which also keeps it off the fast path
  async #spaPage(req: Request, path: string, head: boolean): Promise<Response> {
    const page = await this.#lookup(path);
    if (page?.kind !== "file") return await this.notFound(head);
    const res = await respondWithFile(req, page, this);
    res.headers.append("vary", "Accept");
    return res;
  }

  #failed(req: Request, err: unknown): Response {
    let url = "?";
    try {
      url = req.url;
    } catch {
      // the error may come from the request itself; the log line must not throw again
    }
    const head = req.method === "HEAD";
    // out of descriptors is the server's state, not the request's fault, and passes: say so
    if (outOfDescriptors(err)) {
      this.#logger.warn("Cannot serve {method} {url}: {error}; answered 503", {
        method: req.method,
        url,
        error: err instanceof Error ? err.message : String(err),
      });
      return this.error(503, { "retry-after": String(RETRY_AFTER_S) }, head);
    }
    this.#logger.error("Unexpected error serving {method} {url}: {error}", {
      method: req.method,
      url,
      error: err,
    });
    return this.error(500, undefined, head);
  }
}
