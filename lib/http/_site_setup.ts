/**
 * What a static site is built from: the header fields every answer carries and the file cache
 * over its root, as the options ask.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { FileCache } from "./_cache.ts";
import { cacheControlFor } from "./_headers.ts";
import type { StaticOptions } from "./handler.ts";

const CACHE_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const REVALIDATE_MS = 1000;
/** Files up to this size are cached in memory unless told otherwise. */
export const DEFAULT_CACHE_MAX_FILE_BYTES = 256 * 1024;

/** The header fields every answer carries: Server, CORS when asked, then the user's own. */
export function commonHeaders(options: StaticOptions): Record<string, string> {
  const common: Record<string, string> = { server: `netlab/${VERSION}` };
  if (options.cors) {
    common["access-control-allow-origin"] = "*";
    common["access-control-expose-headers"] =
      "Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified";
  }
  for (const [name, value] of options.headers ?? []) common[name] = value;
  return common;
}

/** The file cache over `root`: limits, compression and Cache-Control as `options` ask. */
export function createCache(
  options: StaticOptions,
  root: string,
  common: Record<string, string>,
  clock: () => number,
): FileCache {
  const policy = options.cacheControl;
  const authenticated = (options.auth?.length ?? 0) > 0;
  return new FileCache({
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
          const name = path.slice(path.lastIndexOf("/") + 1);
          const value = cacheControlFor(policy, name, authenticated);
          return value === null ? null : { "cache-control": value };
        },
      }
      : {}),
  });
}
