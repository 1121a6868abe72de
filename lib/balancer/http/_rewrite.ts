/**
 * The heads the http-mode proxy sends on: the request to the backend and the response to the
 * client, each copied field by field from the head received, without the hop-by-hop fields
 * (RFC 9110 section 7.6.1), re-framed, and with the forwarding fields added (X-Forwarded-For
 * always; X-Forwarded-Proto and Forwarded of RFC 7239 with `--forwarded`). Pure: offsets in, bytes out, into one scratch
 * buffer per loop.
 *
 * @module
 */
import type { RequestParser } from "../../http1/_parser.ts";
import { type Fields, N_FORWARDED, N_HOST, N_UPGRADE, N_XFF, N_XFP } from "./_fields.ts";
import { Framing, type ResponseHead } from "./_response_head.ts";

/** Bytes being written; grows when a head does not fit. */
export class HeadWriter {
  buf: Uint8Array = new Uint8Array(16 * 1024);
  len = 0;

  #room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  /** Appends an ASCII (or Latin-1) string. */
  ascii(s: string): void {
    this.#room(s.length);
    const b = this.buf;
    let at = this.len;
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    this.len = at;
  }

  /** Appends `src[s..e)`. */
  copy(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.#room(n);
    const b = this.buf;
    let at = this.len;
    // a short run is cheaper copied by hand than through a subarray view (an object per copy)
    if (n <= 32) { for (let i = s; i < e; i++) b[at++] = src[i]!; }
    else {
      b.set(src.subarray(s, e), at);
      at += n;
    }
    this.len = at;
  }

  /** Appends all of `src`. */
  bytes(src: Uint8Array): void {
    this.#room(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  /** Appends field `f` of `fields` as its line. */
  field(fields: Fields, f: number): void {
    const o = f * 4;
    this.copy(fields.buf, fields.at[o]!, fields.at[o + 1]!);
    this.ascii(": ");
    this.copy(fields.buf, fields.at[o + 2]!, fields.at[o + 3]!);
    this.ascii("\r\n");
  }

  /**
   * Appends the field lines of `fields` as received but the hop-by-hop ones: runs of kept lines
   * are copied whole.
   */
  endToEndFields(fields: Fields): void {
    const at = fields.at;
    let run = -1;
    for (let f = 0; f < fields.count; f++) {
      if (fields.hopByHop(f)) {
        if (run >= 0) this.copy(fields.buf, run, at[f * 4]!);
        run = -1;
      } else if (run < 0) run = at[f * 4]!;
    }
    if (run >= 0) this.copy(fields.buf, run, fields.end);
  }

  /** Appends field `f`'s value and then `, more` as one line named `name`. */
  fieldAppended(fields: Fields, f: number, more: string): void {
    const o = f * 4;
    this.copy(fields.buf, fields.at[o]!, fields.at[o + 1]!);
    this.ascii(": ");
    this.copy(fields.buf, fields.at[o + 2]!, fields.at[o + 3]!);
    this.ascii(", ");
    this.ascii(more);
    this.ascii("\r\n");
  }

  /**
   * A copy of what was written, in `into` when it has room (a view of it), else in a new array
   * with room to spare: a connection that keeps its last copy allocates nothing per request.
   */
  take(into: Uint8Array | null): Uint8Array {
    const n = this.len;
    // the same length as the last (one client's requests often are): the same view, no object
    const dst = into !== null && into.length === n
      ? into
      : into !== null && into.buffer.byteLength >= n
      ? new Uint8Array(into.buffer, 0, n)
      : new Uint8Array(new ArrayBuffer(Math.max(512, n + (n >> 1))), 0, n);
    const b = this.buf;
    if (n <= 128) { for (let i = 0; i < n; i++) dst[i] = b[i]!; }
    else dst.set(b.subarray(0, n));
    return dst;
  }
}

/** The client as the forwarding fields name it. */
export interface ClientNames {
  /** The address for X-Forwarded-For (`127.0.0.1`, `::1`). */
  readonly ip: string;
  /** The RFC 7239 node (`for=127.0.0.1`, `for="[::1]"`). */
  readonly node: string;
  /** `X-Forwarded-For: ip\r\n`. */
  readonly xffLine: Uint8Array;
  /** `X-Forwarded-Proto: http\r\n` (or https, behind `--cert`). */
  readonly xfpLine: Uint8Array;
  /** What the client speaks to us: `http`, or `https` behind `--cert`. */
  readonly proto: string;
  /** `Forwarded: ...\r\n` for a request to `host`. */
  forwardedLine(host: string | null): Uint8Array;
}

/** Whether a request asks for a protocol upgrade (a tunnel once answered 101). */
export function wantsUpgrade(req: RequestParser, fields: Fields): boolean {
  return fields.upgrade && req.method === "GET" && fields.last(N_UPGRADE) >= 0;
}

/**
 * Writes the request head for the backend: origin-form, HTTP/1.1 (HTTP/1.0 for a 1.0 client,
 * so that no chunked answer comes back for it), every end-to-end field, the framing of the
 * body, and the forwarding fields: the client appended to X-Forwarded-For; with `forwarded`,
 * X-Forwarded-Proto set and the client's element appended to Forwarded (without, the client's
 * own pass as they came, as through HAProxy or nginx not told to set them).
 */
export function writeRequestHead(
  w: HeadWriter,
  req: RequestParser,
  fields: Fields,
  client: ClientNames,
  upgrade: boolean,
  forwarded: boolean,
): void {
  w.len = 0;
  w.ascii(req.method);
  w.ascii(" ");
  w.ascii(req.target);
  w.ascii(req.minor === 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  let xff = -1, fwd = -1;
  const at = fields.at;
  for (let f = 0; f < fields.count; f++) {
    // names by length first: most fields are none of these
    const len = at[f * 4 + 1]! - at[f * 4]!;
    if (len === 15 && fields.is(f, N_XFF)) xff = f;
    else if (forwarded && len === 9 && fields.is(f, N_FORWARDED)) fwd = f;
  }
  const host = req.absolute ? null : req.host;
  // runs of kept lines are copied whole; the forwarding fields we extend go last
  let run = -1;
  for (let f = 0; f < fields.count; f++) {
    const len = at[f * 4 + 1]! - at[f * 4]!;
    const skip = f === xff || f === fwd || (fields.hop && fields.hopByHop(f)) ||
      (forwarded && len === 17 && fields.is(f, N_XFP)) ||
      (len === 4 && req.absolute && fields.is(f, N_HOST));
    if (skip) {
      if (run >= 0) w.copy(fields.buf, run, at[f * 4]!);
      run = -1;
    } else if (run < 0) run = at[f * 4]!;
  }
  if (run >= 0) w.copy(fields.buf, run, fields.end);
  if (xff >= 0) w.fieldAppended(fields, xff, client.ip);
  if (fwd >= 0) w.fieldAppended(fields, fwd, forwardedNode(client, host));
  if (req.absolute) w.ascii(`Host: ${req.host}\r\n`);
  if (xff < 0) w.bytes(client.xffLine);
  if (forwarded) {
    w.bytes(client.xfpLine);
    if (fwd < 0) w.bytes(client.forwardedLine(req.host));
  }
  if (req.chunked) w.ascii("Transfer-Encoding: chunked\r\n");
  if (upgrade) {
    w.field(fields, fields.last(N_UPGRADE));
    w.ascii("Connection: upgrade\r\n");
  } else if (req.minor === 0) {
    w.ascii("Connection: keep-alive\r\n");
  }
  w.ascii("\r\n");
}

const XFP_HTTP = new TextEncoder().encode("X-Forwarded-Proto: http\r\n");
const XFP_HTTPS = new TextEncoder().encode("X-Forwarded-Proto: https\r\n");

/**
 * A client's forwarding lines, made once per connection (the Forwarded line once per Host): a
 * request costs them no string.
 */
export class ClientLines implements ClientNames {
  readonly ip: string;
  readonly node: string;
  /** `X-Forwarded-For: ip\r\n`. */
  readonly xffLine: Uint8Array;
  readonly xfpLine: Uint8Array;
  readonly proto: "http" | "https";
  #host: string | null | undefined = undefined;
  #forwarded: Uint8Array = new Uint8Array(0);

  /** @param proto what the client speaks to us (`https` behind `--cert`) */
  constructor(ip: string, proto: "http" | "https" = "http") {
    this.ip = ip;
    this.proto = proto;
    this.xfpLine = proto === "https" ? XFP_HTTPS : XFP_HTTP;
    this.node = ip.includes(":") ? `for="[${ip}]"` : `for=${ip}`;
    this.xffLine = new TextEncoder().encode(`X-Forwarded-For: ${ip}\r\n`);
  }

  /** `Forwarded: for=...;host="...";proto=http\r\n` for requests to `host`. */
  forwardedLine(host: string | null): Uint8Array {
    if (host !== this.#host) {
      this.#host = host;
      const node = forwardedNode(this, host);
      this.#forwarded = new TextEncoder().encode(`Forwarded: ${node}\r\n`);
    }
    return this.#forwarded;
  }
}

/** One RFC 7239 forwarded-element: `for=...;host="...";proto=http`. */
function forwardedNode(client: ClientNames, host: string | null): string {
  const proto = client.proto;
  return host === null
    ? `${client.node};proto=${proto}`
    : `${client.node};host="${host}";proto=${proto}`;
}

/**
 * Writes the response head for the client: HTTP/1.1 and the backend's status, every
 * end-to-end field, the framing, and Connection as the client's connection goes on.
 *
 * @param close the client connection closes after this response
 * @param clientMinor the client's HTTP minor version (a 1.0 client is told keep-alive)
 */
export function writeResponseHead(
  w: HeadWriter,
  res: ResponseHead,
  close: boolean,
  clientMinor: number,
): void {
  const fields = res.fields;
  w.len = 0;
  w.ascii("HTTP/1.1");
  w.copy(fields.buf, res.statusStart, res.statusEnd);
  const tunnel = res.status === 101;
  w.endToEndFields(fields);
  if (tunnel) {
    const up = fields.last(N_UPGRADE);
    if (up >= 0) w.field(fields, up);
    w.ascii("Connection: upgrade\r\n\r\n");
    return;
  }
  if (res.status >= 200 && res.framing === Framing.Chunked) {
    w.ascii("Transfer-Encoding: chunked\r\n");
  }
  if (res.status >= 200) {
    if (close) w.ascii("Connection: close\r\n");
    else if (clientMinor === 0) w.ascii("Connection: keep-alive\r\n");
  }
  w.ascii("\r\n");
}
