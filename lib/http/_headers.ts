/**
 * Response headers of the user's own (`--header 'Name: value'`) and the cache policy
 * (`--cache-control`), checked once at start-up: a header that would break framing or the
 * connection, or that the server computes per response, is refused rather than sent.
 *
 * @module
 */

/** A header field as given: lower-case name, value as sent (trimmed). */
export type HeaderField = [name: string, value: string];

/**
 * Names refused in `--header`: hop-by-hop fields (RFC 9110 section 7.6.1), framing (RFC 9112
 * section 6), and fields the server sets per response, which one fixed value would make false.
 */
const REFUSED: Record<string, string> = {
  "connection": "hop-by-hop",
  "keep-alive": "hop-by-hop",
  "proxy-connection": "hop-by-hop",
  "proxy-authenticate": "hop-by-hop",
  "proxy-authorization": "hop-by-hop",
  "te": "hop-by-hop",
  "trailer": "hop-by-hop",
  "upgrade": "hop-by-hop",
  "transfer-encoding": "framing",
  "content-length": "framing",
  "content-range": "set per response",
  "content-encoding": "set per response",
  "content-type": "set per response",
  "date": "set per response",
  "etag": "set per response",
  "last-modified": "set per response",
  "vary": "set per response",
  "accept-ranges": "set per response",
  "location": "set per response",
  "allow": "set per response",
  "www-authenticate": "set per response",
  "cache-control": "use --cache-control",
};

/** RFC 9110 section 5.6.2: `token = 1*tchar`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 section 5.5: visible characters, SP and HTAB (obs-text refused: say it in ASCII). */
const FIELD_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$|^$/;

/** Why `--header` text is refused, as the message's tail, or the field it names. */
export function parseHeaderFlag(text: string): HeaderField | string {
  const colon = text.indexOf(":");
  if (colon < 0) return `expected "Name: value"`;
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) return `"${name}" is not a header name`;
  if (!FIELD_VALUE.test(value)) return "the value has a control character or non-ASCII text";
  const lower = name.toLowerCase();
  const why = REFUSED[lower];
  if (why !== undefined) {
    return why === "use --cache-control"
      ? `${name} has its own flag: use --cache-control`
      : `${name} is ${why === "set per response" ? "set by the server per response" : why}`;
  }
  return [lower, value];
}

/**
 * The headers of `--header` values, or the first one's error message. A name given twice is
 * refused: join the values with a comma where the field allows it.
 */
export function parseHeaderFlags(values: readonly string[]): HeaderField[] | string {
  const out: HeaderField[] = [];
  for (const text of values) {
    const field = parseHeaderFlag(text);
    if (typeof field === "string") return `Cannot add the header "${text}": ${field}`;
    if (out.some(([name]) => name === field[0])) {
      return `Cannot add the header "${text}": ${field[0]} is given twice (join the values)`;
    }
    out.push(field);
  }
  return out;
}

/** Why a `--cache-control` value is refused, or null. */
export function cacheControlError(value: string): string | null {
  if (value === "" || !FIELD_VALUE.test(value)) {
    return `Cannot use --cache-control "${value}": expected a header value or immutable-hashed`;
  }
  return null;
}

/** The `--cache-control` value that picks a policy by file name. */
export const IMMUTABLE_HASHED = "immutable-hashed";
/** What a file with a content hash in its name gets under {@link IMMUTABLE_HASHED}. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** The same behind authentication: shared caches must not keep what only some may see. */
export const IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable";

/** 8 or more hex digits with at least one digit and one letter (webpack, Parcel, Angular). */
const HEX = /^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}$/;
/** 8 base64url characters with a digit and a letter (Rollup/Vite, esbuild's base32). */
const SHORT = /^(?=[\w-]*[0-9])(?=[\w-]*[A-Za-z])[\w-]{8}$/;
/** Image sizes such as `750x1334`: a name, not a hash. */
const DIMENSIONS = /^\d+x\d+$/;

/**
 * Whether a file name carries a content hash, as bundlers name their output:
 * `main.3b2f6c8e1a9d4f7b.js` (webpack, 8+ hex digits between dots or after a dash),
 * `index-BXg2h4Kf.js` (Rollup and Vite: the last 8 base64url characters before the extension,
 * after a dash or dot), `chunk-X3ZKQ4JW.js` (esbuild). A hash must mix digits and letters, so
 * `app-settings.js`, `report-20240101.pdf` and `icon-750x1334.png` are not hashed; a hash made of
 * letters alone is missed, which costs a revalidation, never a stale file.
 */
export function isHashedName(name: string): boolean {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return false;
  const stem = name.slice(0, dot);
  // Rollup's hash may itself hold '-' or '_': take the stem's last 8 characters as one piece
  const tail = stem.slice(-8);
  const before = stem.charAt(stem.length - 9);
  if ((before === "-" || before === ".") && SHORT.test(tail) && !DIMENSIONS.test(tail)) {
    return true;
  }
  const parts = stem.split(/[.-]/);
  for (let i = 1; i < parts.length; i++) if (HEX.test(parts[i]!)) return true;
  return false;
}

/** The Cache-Control a file named `name` gets under `policy` (null: none). */
export function cacheControlFor(
  policy: string | undefined,
  name: string,
  authenticated: boolean,
): string | null {
  if (policy === undefined) return null;
  if (policy !== IMMUTABLE_HASHED) return policy;
  if (!isHashedName(name)) return "no-cache";
  return authenticated ? IMMUTABLE_PRIVATE : IMMUTABLE;
}
