/**
 * What answering from a file needs whatever the answer: the handler's context, and a file opened
 * for one response (fresh from disk when the cache's view may be stale) sent as a FileResponse.
 *
 * @module
 */
import type { FileEntry } from "./_entry.ts";
import type { FileCache } from "./_cache.ts";
import { isMissing } from "./_fs_errors.ts";
import type { Compressor } from "./compressor.ts";
import { FileResponse } from "./file_response.ts";

/** A streamed entry's file, opened for one response, and its entry as that open found it. */
export interface Opened {
  file: Deno.FsFile;
  entry: FileEntry;
  info: Deno.FileInfo;
}

/** What the responder needs from the handler. */
export interface RespondContext {
  cache: FileCache;
  /** Where large files are gzipped as they stream; without one, on this thread. */
  compressor?: Compressor;
  /** Plain-text error response for a status, with the common headers. */
  error(status: number, extra?: Record<string, string>, head?: boolean): Response;
  /** The 404 response (the root's 404.html when it has one). */
  notFound(head: boolean): Promise<Response>;
}

/**
 * Opens a streamed entry's file, or null when it went away since the cache last looked. open and
 * fstat are synchronous: each costs microseconds on a local disk, where the async pair cost two
 * thread hops per request, which on the epoll engine also wait for the loop to yield.
 */
export function openFresh(entry: FileEntry, ctx: RespondContext): Opened | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(entry.path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    // an uncached file may have changed since its last stat; describe what we actually send
    const info = file.statSync();
    return { file, entry: ctx.cache.refresh(entry, info), info };
  } catch (err) {
    file.close();
    throw err;
  }
}

/** Opens the entry's file unless the caller already has it open. */
export function openFor(
  entry: FileEntry,
  ctx: RespondContext,
  file: Opened | null,
): Promise<Opened | null> {
  return Promise.resolve(file ?? openFresh(entry, ctx));
}

/** The body `start..start+length` of the opened file, streamed by `body`, as a FileResponse. */
export function fileResponse(
  opened: Opened,
  body: ReadableStream<Uint8Array>,
  start: number,
  length: number,
  init: ResponseInit,
): Response {
  const { info, entry } = opened;
  return new FileResponse(body, init, {
    path: entry.path,
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    start,
    length,
  });
}
