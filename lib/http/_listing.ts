/**
 * The directory listing shown with `--list`: the entries of a directory (symlinks out of the root
 * left out), as HTML or JSON (`_listing_render.ts`).
 *
 * @module
 */
import { isInside } from "./_path.ts";
import {
  type ListingEntry,
  listingView,
  renderListing,
  renderListingJson,
  sortEntries,
} from "./_listing_render.ts";

export { escapeHtml, type ListingEntry, renderListing } from "./_listing_render.ts";

/** How the listing is answered. */
export interface ListingContext {
  head: boolean;
  dotfiles: boolean;
  /** Headers every response carries. */
  common: Record<string, string>;
  /** The root with its symlinks resolved. */
  realRoot: string;
}

/** Errors that mean "leave this entry out of the listing". */
function vanished(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied ||
    err instanceof Deno.errors.FilesystemLoop;
}

/** The entries of `dir` worth listing, or null when the directory cannot be read (any more). */
async function readEntries(
  dir: string,
  dotfiles: boolean,
  realRoot: string,
): Promise<ListingEntry[] | null> {
  const entries: ListingEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!dotfiles && e.name.startsWith(".")) continue;
      const path = `${dir}/${e.name}`;
      try {
        if (e.isSymlink && !isInside(realRoot, await Deno.realPath(path))) continue;
        const info = await Deno.stat(path);
        entries.push({
          name: e.name,
          isDirectory: info.isDirectory,
          size: info.isDirectory ? null : info.size,
          mtimeMs: info.mtime?.getTime() ?? null,
        });
      } catch (err) {
        if (!vanished(err)) throw err; // a dangling symlink or a file just deleted is left out
      }
    }
  } catch (err) {
    // removed or replaced since the cache last saw it (it trusts an entry for up to a second)
    if (vanished(err) || err instanceof Deno.errors.NotADirectory) return null;
    throw err;
  }
  return entries;
}

/**
 * The listing response for directory `dir`, shown at `urlPath` in the view `query` asks for (400
 * for one it does not know), or null when it cannot be read. Symlinks resolving outside the root
 * are left out: they are 404s, and listing them would tell names and sizes out there.
 */
export async function listingResponse(
  dir: string,
  urlPath: string,
  query: URLSearchParams,
  ctx: ListingContext,
): Promise<Response | null> {
  const view = listingView(query);
  const headers: Record<string, string> = { ...ctx.common, "cache-control": "no-cache" };
  if (typeof view === "string") {
    const text = `400 Bad Request: ${view}\n`;
    return new Response(ctx.head ? null : text, {
      status: 400,
      headers: {
        ...headers,
        "content-type": "text/plain; charset=utf-8",
        "content-length": String(text.length),
      },
    });
  }
  const entries = await readEntries(dir, ctx.dotfiles, ctx.realRoot);
  if (entries === null) return null;
  const json = view.format === "json";
  const text = json
    ? renderListingJson(urlPath, sortEntries(entries, view))
    : renderListing(urlPath, entries, view);
  const body = new TextEncoder().encode(text);
  headers["content-type"] = json ? "application/json" : "text/html; charset=utf-8";
  headers["content-length"] = String(body.length); // HEAD must not say 0
  return new Response(ctx.head ? null : body, { headers });
}
