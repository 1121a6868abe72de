/**
 * The heads the http-mode proxy sends on: the request to the backend and the response to the
 * client, each copied field by field from the head received, without the hop-by-hop fields
 * (RFC 9110 section 7.6.1), re-framed, and with the forwarding fields added (X-Forwarded-For,
 * X-Forwarded-Proto, Forwarded of RFC 7239). Pure: offsets in, bytes out, into one scratch
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
    this.#room(e - s);
    this.buf.set(src.subarray(s, e), this.len);
    this.len += e - s;
  }

  /** Appends field `f` of `fields` as its line. */
  field(fields: Fields, f: number): void {
    const o = f * 4;
    this.copy(fields.buf, fields.at[o]!, fields.at[o + 1]!);
    this.ascii(": ");
    this.copy(fields.buf, fields.at[o + 2]!, fields.at[o + 3]!);
    this.ascii("\r\n");
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

  /** A copy of what was written. */
  take(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The client as the forwarding fields name it. */
export interface ClientNames {
  /** The address for X-Forwarded-For (`127.0.0.1`, `::1`). */
  readonly ip: string;
  /** The RFC 7239 node (`for=127.0.0.1`, `for="[::1]"`). */
  readonly node: string;
}

/** Whether a request asks for a protocol upgrade (a tunnel once answered 101). */
export function wantsUpgrade(req: RequestParser, fields: Fields): boolean {
  return fields.upgrade && req.method === "GET" && fields.last(N_UPGRADE) >= 0;
}

/**
 * Writes the request head for the backend: origin-form, HTTP/1.1 (HTTP/1.0 for a 1.0 client,
 * so that no chunked answer comes back for it), every end-to-end field, the framing of the
 * body, and the forwarding fields.
 */
export function writeRequestHead(
  w: HeadWriter,
  req: RequestParser,
  fields: Fields,
  client: ClientNames,
  upgrade: boolean,
): void {
  w.len = 0;
  w.ascii(req.method);
  w.ascii(" ");
  w.ascii(req.target);
  w.ascii(req.minor === 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  const xff = fields.last(N_XFF);
  const fwd = fields.last(N_FORWARDED);
  let host = req.absolute ? null : req.host;
  for (let f = 0; f < fields.count; f++) {
    if (fields.hopByHop(f)) continue;
    if (fields.is(f, N_XFP)) continue;
    if (fields.is(f, N_HOST)) {
      if (req.absolute) continue;
    } else if (f === xff) {
      w.fieldAppended(fields, f, client.ip);
      continue;
    } else if (f === fwd) {
      w.fieldAppended(fields, f, forwardedNode(client, host));
      continue;
    }
    w.field(fields, f);
  }
  if (req.absolute) w.ascii(`Host: ${req.host}\r\n`);
  if (xff < 0) w.ascii(`X-Forwarded-For: ${client.ip}\r\n`);
  w.ascii("X-Forwarded-Proto: http\r\n");
  if (fwd < 0) w.ascii(`Forwarded: ${forwardedNode(client, host ??= req.host)}\r\n`);
  if (req.chunked) w.ascii("Transfer-Encoding: chunked\r\n");
  if (upgrade) {
    w.field(fields, fields.last(N_UPGRADE));
    w.ascii("Connection: upgrade\r\n");
  } else if (req.minor === 0) {
    w.ascii("Connection: keep-alive\r\n");
  }
  w.ascii("\r\n");
}

/** One RFC 7239 forwarded-element: `for=...;host="...";proto=http`. */
function forwardedNode(client: ClientNames, host: string | null): string {
  return host === null ? `${client.node};proto=http` : `${client.node};host="${host}";proto=http`;
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
  for (let f = 0; f < fields.count; f++) {
    if (!fields.hopByHop(f)) w.field(fields, f);
  }
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
