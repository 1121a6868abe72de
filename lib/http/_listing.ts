/**
 * The HTML directory listing shown with `--list`. Names are escaped for HTML and encoded for URLs:
 * a file called `<script>` must not become one.
 *
 * @module
 */
import { isInside } from "./_path.ts";

/** One directory entry to list. */
export interface ListingEntry {
  name: string;
  isDirectory: boolean;
  size: number | null;
}

/** Escapes text for use in HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

/** Renders the listing page for the URL path `urlPath` (which ends with a slash). */
export function renderListing(urlPath: string, entries: ListingEntry[]): string {
  const sorted = [...entries].sort((a, b) =>
    a.isDirectory === b.isDirectory ? a.name.localeCompare(b.name) : a.isDirectory ? -1 : 1
  );
  const rows = sorted.map((e) => {
    const href = encodeURIComponent(e.name) + (e.isDirectory ? "/" : "");
    const label = escapeHtml(e.name) + (e.isDirectory ? "/" : "");
    const size = e.isDirectory || e.size === null ? "-" : String(e.size);
    return `<tr><td><a href="${escapeHtml(href)}">${label}</a></td><td>${size}</td></tr>`;
  });
  if (urlPath !== "/") rows.unshift(`<tr><td><a href="../">../</a></td><td>-</td></tr>`);
  const title = `Index of ${escapeHtml(urlPath)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
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
        entries.push({ name: e.name, isDirectory: info.isDirectory, size: info.size });
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
 * The listing page response for directory `dir`, shown at `urlPath`, or null when it cannot be
 * read. Symlinks resolving outside `realRoot` are left out: they are 404s, and listing them would
 * tell names and sizes out there.
 */
export async function listingResponse(
  dir: string,
  urlPath: string,
  head: boolean,
  dotfiles: boolean,
  common: Record<string, string>,
  realRoot: string,
): Promise<Response | null> {
  const entries = await readEntries(dir, dotfiles, realRoot);
  if (entries === null) return null;
  const html = new TextEncoder().encode(renderListing(urlPath, entries));
  return new Response(head ? null : html, {
    headers: {
      ...common,
      "content-type": "text/html; charset=utf-8",
      "content-length": String(html.length), // HEAD must not say 0
      "cache-control": "no-cache",
    },
  });
}
