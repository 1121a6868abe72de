/**
 * Conditional request evaluation in the order RFC 9110 section 13.2.2 prescribes.
 *
 * @module
 */

/** The validators of the representation being served. */
export interface Validators {
  /** Strong entity tag of the selected representation, quoted. */
  etag: string;
  /** Entity tag of the identity representation; a client may hold either. */
  baseEtag: string;
  /** Modification time in whole seconds (HTTP dates have no finer precision). */
  mtimeSec: number;
}

function opaque(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

function listMatches(header: string, v: Validators, weak: boolean): boolean {
  if (header.trim() === "*") return true;
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (!weak && tag.startsWith("W/")) continue;
    const t = opaque(tag);
    if (t === v.etag || t === v.baseEtag) return true;
  }
  return false;
}

/** IMF-fixdate, then the obsolete RFC 850 and asctime forms (RFC 9110 section 5.6.7). */
const HTTP_DATE =
  /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/**
 * Seconds since the epoch of an HTTP-date, or null for anything else: the RFC says to ignore an
 * invalid date, and Date.parse alone would read "2030" or "1" as one.
 */
function parseDate(value: string | null): number | null {
  if (value === null || !HTTP_DATE.test(value)) return null;
  // asctime carries no zone; HTTP dates are always GMT
  const ms = Date.parse(value.endsWith("GMT") ? value : `${value} GMT`);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** 304 or 412 when the preconditions say so, otherwise 200 (go on and serve). */
export function evaluatePreconditions(
  headers: Headers,
  method: string,
  v: Validators,
): 200 | 304 | 412 {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!listMatches(ifMatch, v, false)) return 412;
  } else {
    const since = parseDate(headers.get("if-unmodified-since"));
    if (since !== null && v.mtimeSec > since) return 412;
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (listMatches(ifNoneMatch, v, true)) return method === "GET" || method === "HEAD" ? 304 : 412;
  } else if (method === "GET" || method === "HEAD") {
    const since = parseDate(headers.get("if-modified-since"));
    if (since !== null && v.mtimeSec <= since) return 304;
  }
  return 200;
}

/**
 * The entity tag a 304 carries: the 304 describes the representation the client holds (RFC 9110
 * section 15.4.5, RFC 9111 section 4.3.4: a cache freshens the stored response whose validator it
 * names). A client holding the identity file's tag, asking with gzip allowed, holds the identity
 * representation: answering with the gzip variant's tag would name a response it never stored.
 */
export function notModifiedEtag(ifNoneMatch: string | null, v: Validators): string {
  if (ifNoneMatch === null || v.etag === v.baseEtag) return v.etag;
  for (const raw of ifNoneMatch.split(",")) {
    if (opaque(raw.trim()) === v.etag) return v.etag;
  }
  for (const raw of ifNoneMatch.split(",")) {
    if (opaque(raw.trim()) === v.baseEtag) return v.baseEtag;
  }
  return v.etag; // "*", or a 304 from If-Modified-Since
}

/** Whether a Range request may be honoured under its If-Range header (absent means yes). */
export function ifRangeAllows(value: string | null, v: Validators): boolean {
  if (value === null) return true;
  const tag = value.trim();
  if (tag.startsWith("W/")) return false; // If-Range needs a strong validator
  if (tag.startsWith('"')) return tag === v.etag || tag === v.baseEtag;
  const date = parseDate(tag);
  return date !== null && date === v.mtimeSec;
}
