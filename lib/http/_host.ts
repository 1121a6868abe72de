/**
 * The Host header, checked by the rules of RFC 9110 section 7.2 and RFC 3986 section 3.2: an
 * authority made of a host and an optional port, nothing else (no user info, path, query, spaces).
 * Both serve engines use it: the `deno` engine on `req.url` here, a parser of its own at parse time.
 *
 * @module
 */

/**
 * `host [":" port]`: an IP literal in brackets (IPv6 or IPvFuture), or a registered name or IPv4
 * address (unreserved characters, sub-delims and percent-encodings); the port is 0 to 5 digits.
 */
const AUTHORITY =
  /^(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\]|(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+)(?::[0-9]{0,5})?$/;

/**
 * True when `value` is a valid Host header value: a non-empty host and an optional port no larger
 * than 65535. An empty value is refused: an `http` URI must not have an empty host (RFC 9110
 * section 4.2.1).
 */
export function isValidHost(value: string): boolean {
  if (!AUTHORITY.test(value)) return false;
  const colon = value.lastIndexOf(":");
  if (colon < 0 || value.endsWith("]") || colon === value.length - 1) return true;
  return Number(value.slice(colon + 1)) <= 65535;
}

/**
 * Where the request target starts in `req.url`, or -1 when the request must be refused with 400.
 *
 * `Deno.serve` builds `req.url` from the Host header and the request target, so a Host such as
 * `a?x` or `a/b` would move part of itself into the path or push the path into the query. With a
 * valid Host, the URL must be exactly `scheme://` + Host + target; anything else (a bad Host, or an
 * absolute-form target naming another authority) is refused. Without a Host header (HTTP/1.0, and
 * HTTP/2 which sends `:authority`) Deno builds the authority itself, and the request is served.
 */
export function targetStart(url: string, host: string | null): number {
  const authority = url.indexOf("//") + 2;
  if (host === null) {
    // the authority Deno made up (or HTTP/2's :authority) must be one too
    const slash = url.indexOf("/", authority);
    return slash >= 0 && isValidHost(url.slice(authority, slash)) ? slash : -1;
  }
  const end = authority + host.length;
  if (url.charCodeAt(end) !== 47 /* / */) return -1;
  if (
    !url.startsWith(host, authority) &&
    url.slice(authority, end).toLowerCase() !== host.toLowerCase()
  ) return -1;
  return isValidHost(host) ? end : -1;
}
