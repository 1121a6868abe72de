/**
 * The request line of a strict HTTP/1.1 request head (RFC 9112 section 3): method, target in its
 * four forms, and version. `RequestParser` extends it with the header section.
 *
 * @module
 */
import * as bytes from "./_head_bytes.ts";

// Copied into this module's own constants, as in _parser.ts: read per byte, a constant is faster
// than an imported binding.
const { absoluteScheme, CR, LastLatin1, latin1, SP, TARGET, TCHAR, validAuthority } = bytes;

/** Parses request lines, keeping the last one's parts in its fields. */
export class RequestLineParser {
  /** The method as sent ("GET" and "HEAD" without a new string). */
  method = "";
  /** origin-form target (path and query); "/..." from an absolute-form target; "*" for OPTIONS */
  target = "";
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 and later 1.x */
  minor = 1;

  /** The last origin-form target: a client asking again costs no new string. */
  #targets = new LastLatin1(256);

  #methodOf(buf: Uint8Array, s: number, e: number): string {
    const n = e - s;
    if (n === 3 && buf[s] === 71 && buf[s + 1] === 69 && buf[s + 2] === 84) return "GET";
    if (n === 4 && buf[s] === 72 && buf[s + 1] === 69 && buf[s + 2] === 65 && buf[s + 3] === 68) {
      return "HEAD";
    }
    return latin1(buf, s, e);
  }

  /** Parses `method SP target SP HTTP/x.y CRLF`; returns 0 or minus a status. */
  protected requestLine(buf: Uint8Array, s: number, lf: number): number {
    if (lf === s || buf[lf - 1] !== CR) return -400;
    const e = lf - 1;
    let i = s;
    while (i < e && TCHAR[buf[i]!] === 1) i++;
    if (i === s || buf[i] !== SP) return -400;
    const methodEnd = i;
    const targetStart = ++i;
    while (i < e && TARGET[buf[i]!] === 1) i++;
    if (i === targetStart || buf[i] !== SP) return -400;
    const targetEnd = i++;
    // exactly "HTTP/" DIGIT "." DIGIT
    if (
      e - i !== 8 || buf[i] !== 72 || buf[i + 1] !== 84 || buf[i + 2] !== 84 || buf[i + 3] !== 80 ||
      buf[i + 4] !== 47 || buf[i + 6] !== 46
    ) return -400;
    const major = buf[i + 5]! - 48, minor = buf[i + 7]! - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return -400;
    if (major !== 1) return -505;
    this.minor = minor === 0 ? 0 : 1;
    this.method = this.#methodOf(buf, s, methodEnd);
    this.absoluteHost = null;
    const first = buf[targetStart];
    if (first === 47 /* / */) {
      this.target = this.#targets.of(buf, targetStart, targetEnd);
      return 0;
    }
    if (first === 42 /* * */ && targetEnd - targetStart === 1) {
      if (this.method !== "OPTIONS") return -400;
      this.target = "*";
      return 0;
    }
    if (this.method === "CONNECT") {
      // authority-form; the engine refuses CONNECT itself
      if (!validAuthority(buf, targetStart, targetEnd)) return -400;
      this.target = latin1(buf, targetStart, targetEnd);
      return 0;
    }
    const auth = absoluteScheme(buf, targetStart, targetEnd);
    if (auth < 0) return -400;
    let pathAt = auth;
    while (pathAt < targetEnd && buf[pathAt] !== 47 && buf[pathAt] !== 63 /* ? */) pathAt++;
    if (!validAuthority(buf, auth, pathAt)) return -400;
    this.absoluteHost = latin1(buf, auth, pathAt);
    const rest = latin1(buf, pathAt, targetEnd);
    this.target = rest.startsWith("/") ? rest : `/${rest}`;
    return 0;
  }
  /** An absolute-form target's authority, which replaces the Host header; null for other forms. */
  protected absoluteHost: string | null = null;
}
