/**
 * The directory listing's pages: HTML with sizes and dates and columns that sort, or JSON
 * (`?format=json`). Names are escaped for HTML and encoded for URLs: a file called `<script>`
 * must not become one.
 *
 * @module
 */

/** One directory entry to list. */
export interface ListingEntry {
  name: string;
  isDirectory: boolean;
  /** Bytes (null for directories). */
  size: number | null;
  /** Last modification, ms since the epoch (null when the system does not say). */
  mtimeMs: number | null;
}

/** How to order and show a listing, from its query string. */
export interface ListingView {
  sort: "name" | "size" | "date";
  order: "asc" | "desc";
  format: "html" | "json";
}

const SORTS = ["name", "size", "date"] as const;
const ORDERS = ["asc", "desc"] as const;
const FORMATS = ["html", "json"] as const;

/**
 * The view a query string asks for (`?sort=name|size|date&order=asc|desc&format=html|json`, each
 * optional: name, ascending, HTML), or the message for a value it does not know.
 */
export function listingView(query: URLSearchParams): ListingView | string {
  const bad = (key: string, allowed: readonly string[]): string | null => {
    const value = query.get(key);
    return value === null || value === "" || allowed.includes(value)
      ? null
      : `${key} must be one of ${allowed.join(", ")}`;
  };
  const error = bad("sort", SORTS) ?? bad("order", ORDERS) ?? bad("format", FORMATS);
  if (error !== null) return error;
  return {
    sort: (query.get("sort") || "name") as ListingView["sort"],
    order: (query.get("order") || "asc") as ListingView["order"],
    format: (query.get("format") || "html") as ListingView["format"],
  };
}

/** Directories first, then by the view's key (name breaks ties), ascending or descending. */
export function sortEntries(entries: readonly ListingEntry[], view: ListingView): ListingEntry[] {
  const sign = view.order === "asc" ? 1 : -1;
  const byName = (a: ListingEntry, b: ListingEntry) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const key = (e: ListingEntry) =>
    view.sort === "size" ? e.size ?? -1 : view.sort === "date" ? e.mtimeMs ?? -1 : 0;
  return [...entries].sort((a, b) => {
    if (a.isDirectory !== b.isDirectory) return a.isDirectory ? -1 : 1;
    const d = view.sort === "name" ? byName(a, b) : key(a) - key(b) || byName(a, b);
    return d * sign;
  });
}

/** The listing as JSON: the path and its entries in the view's order. */
export function renderListingJson(urlPath: string, entries: readonly ListingEntry[]): string {
  return JSON.stringify({
    path: urlPath,
    entries: entries.map((e) => ({
      name: e.name,
      type: e.isDirectory ? "directory" : "file",
      size: e.size,
      modified: e.mtimeMs === null ? null : new Date(e.mtimeMs).toISOString(),
    })),
  }) + "\n";
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for use in HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** 1234567 as "1.2 MiB"; bytes below 1 KiB as they are. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

function dateText(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** A column heading that sorts by `sort`, the other way round when it already does. */
function heading(label: string, sort: ListingView["sort"], view: ListingView): string {
  const order = view.sort === sort && view.order === "asc" ? "desc" : "asc";
  const mark = view.sort === sort ? (view.order === "asc" ? " ↑" : " ↓") : "";
  return `<th><a href="?sort=${sort}&amp;order=${order}">${label}</a>${mark}</th>`;
}

/** Renders the listing page for the URL path `urlPath` (which ends with a slash). */
export function renderListing(
  urlPath: string,
  entries: readonly ListingEntry[],
  view: ListingView = { sort: "name", order: "asc", format: "html" },
): string {
  const rows = sortEntries(entries, view).map((e) => {
    const href = encodeURIComponent(e.name) + (e.isDirectory ? "/" : "");
    const label = escapeHtml(e.name) + (e.isDirectory ? "/" : "");
    const size = e.isDirectory || e.size === null
      ? "<td>-</td>"
      : `<td title="${e.size} bytes">${humanSize(e.size)}</td>`;
    return `<tr><td><a href="${escapeHtml(href)}">${label}</a></td>${size}<td>${
      dateText(e.mtimeMs)
    }</td></tr>`;
  });
  if (urlPath !== "/") rows.unshift(`<tr><td><a href="../">../</a></td><td>-</td><td>-</td></tr>`);
  const title = `Index of ${escapeHtml(urlPath)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<table>
<thead><tr>${heading("Name", "name", view)}${heading("Size", "size", view)}${
    heading("Modified", "date", view)
  }</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
}
