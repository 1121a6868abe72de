/**
 * The PROXY protocol (HAProxy's, versions 1 and 2): the header a proxy writes first on a
 * connection to say whose it is. Pure: bytes in, a verdict out; bytes out for a pair of
 * addresses. Parsing is strict (one form per field, no leading zeros, nothing extra) and bounded:
 * a header longer than {@linkcode PROXY_HEADER_MAX} bytes is refused.
 *
 * @module
 */
import { decodeSockAddr, encodeSockAddr } from "../loop/sockaddr.ts";

/** The `--send-proxy` versions. */
export type ProxyVersion = "v1" | "v2";

/** The `--send-proxy` choices. */
export const PROXY_VERSIONS: readonly ProxyVersion[] = ["v1", "v2"];

/** The longest header accepted: v1's 107 bytes, or v2 with up to 496 bytes of TLVs. */
export const PROXY_HEADER_MAX = 536;

const V2_SIG = new Uint8Array([
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
]);
const V1_PREFIX = "PROXY ";
const V1_MAX = 107;

/** A header read whole: its length, and the addresses it carries (none: use the socket's). */
export interface ProxyHeader {
  /** Bytes the header takes at the start of the stream. */
  length: number;
  /** The client, or undefined for UNKNOWN, LOCAL or an address family other than TCP over IP. */
  source?: Deno.NetAddr;
  /** The address the client connected to, when given. */
  destination?: Deno.NetAddr;
}

/** More bytes are needed to decide. */
export const PROXY_INCOMPLETE = 0;

/** What {@linkcode parseProxyHeader} found: a header, more needed, or why it is refused. */
export type ProxyParse = ProxyHeader | typeof PROXY_INCOMPLETE | string;

/** Reads a PROXY header (v1 or v2) at the start of `b`. */
export function parseProxyHeader(b: Uint8Array): ProxyParse {
  const sig = Math.min(b.length, V2_SIG.length);
  let v2 = true;
  for (let i = 0; i < sig && v2; i++) v2 = b[i] === V2_SIG[i];
  if (v2) return b.length < 16 ? PROXY_INCOMPLETE : parseV2(b);
  const pre = Math.min(b.length, V1_PREFIX.length);
  for (let i = 0; i < pre; i++) {
    if (b[i] !== V1_PREFIX.charCodeAt(i)) return "not a PROXY protocol header";
  }
  return parseV1(b);
}

function parseV2(b: Uint8Array): ProxyParse {
  const verCmd = b[12]!;
  if (verCmd >> 4 !== 2) return `PROXY v2: version ${verCmd >> 4}`;
  const cmd = verCmd & 0xf;
  if (cmd > 1) return `PROXY v2: command ${cmd}`;
  const fam = b[13]!;
  const len = (b[14]! << 8) | b[15]!;
  if (16 + len > PROXY_HEADER_MAX) return `PROXY v2: header of ${16 + len} bytes is too long`;
  if (b.length < 16 + len) return PROXY_INCOMPLETE;
  const need = fam === 0x11 ? 12 : fam === 0x21 ? 36 : fam === 0x31 ? 216 : 0;
  if (len < need) return `PROXY v2: ${len} address bytes for family 0x${fam.toString(16)}`;
  if (cmd === 0 || (fam !== 0x11 && fam !== 0x21)) return { length: 16 + len };
  const v4 = fam === 0x11;
  const size = v4 ? 4 : 16;
  const at = (i: number, portAt: number): Deno.NetAddr => {
    const sa = new Uint8Array(v4 ? 16 : 28);
    sa[0] = v4 ? 2 : 10; // AF_INET, AF_INET6 (little-endian u16)
    sa[2] = b[portAt]!;
    sa[3] = b[portAt + 1]!;
    sa.set(b.subarray(i, i + size), v4 ? 4 : 8);
    return decodeSockAddr(sa);
  };
  const ports = 16 + 2 * size;
  return { length: 16 + len, source: at(16, ports), destination: at(16 + size, ports + 2) };
}

const V1_LINE =
  /^PROXY (?:UNKNOWN[^\r\n]*|(TCP4|TCP6) ([0-9a-fA-F:.]+) ([0-9a-fA-F:.]+) (0|[1-9]\d{0,4}) (0|[1-9]\d{0,4}))\r\n/;
const V4_STRICT = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

function parseV1(b: Uint8Array): ProxyParse {
  const n = Math.min(b.length, V1_MAX);
  let end = -1;
  for (let i = 0; i < n; i++) {
    if (b[i] === 0x0d) {
      if (i + 1 === b.length) break;
      if (b[i + 1] !== 0x0a) return "PROXY v1: CR without LF";
      end = i + 2;
      break;
    }
    if (b[i] === 0x0a) return "PROXY v1: LF without CR";
  }
  if (end < 0) return b.length >= V1_MAX ? "PROXY v1: no CRLF in 107 bytes" : PROXY_INCOMPLETE;
  let line = "";
  for (let i = 0; i < end; i++) line += String.fromCharCode(b[i]!);
  const m = V1_LINE.exec(line);
  if (!m || m[0].length !== end) return "PROXY v1: malformed line";
  if (m[1] === undefined) return { length: end };
  const v4 = m[1] === "TCP4";
  const addr = (host: string, port: string): Deno.NetAddr | undefined => {
    const p = Number(port);
    if (p > 65535 || (v4 ? !V4_STRICT.test(host) : !host.includes(":"))) return undefined;
    try {
      return decodeSockAddr(encodeSockAddr(host, p).bytes);
    } catch {
      return undefined;
    }
  };
  const source = addr(m[2]!, m[4]!);
  const destination = addr(m[3]!, m[5]!);
  if (!source || !destination) return `PROXY v1: bad ${m[1]} address`;
  return { length: end, source, destination };
}

/** The header `version` sends for a connection from `source` to `destination`. */
export function encodeProxyHeader(
  version: ProxyVersion,
  source: Deno.NetAddr,
  destination: Deno.NetAddr,
): Uint8Array {
  const s = encodeSockAddr(source.hostname, source.port);
  const d = encodeSockAddr(destination.hostname, destination.port);
  const v4 = s.bytes.length === 16 && d.bytes.length === 16;
  const mixed = s.bytes.length !== d.bytes.length;
  if (version === "v1") {
    const line = mixed
      ? "PROXY UNKNOWN\r\n"
      : `PROXY ${
        v4 ? "TCP4" : "TCP6"
      } ${source.hostname} ${destination.hostname} ${source.port} ${destination.port}\r\n`;
    return new TextEncoder().encode(line);
  }
  if (mixed) {
    const out = new Uint8Array(16);
    out.set(V2_SIG);
    out[12] = 0x21;
    return out;
  }
  const size = v4 ? 4 : 16;
  const len = 4 * (v4 ? 3 : 9);
  const out = new Uint8Array(16 + len);
  out.set(V2_SIG);
  out[12] = 0x21; // version 2, PROXY
  out[13] = v4 ? 0x11 : 0x21; // TCP over IPv4 / IPv6
  out[15] = len;
  const from = v4 ? 4 : 8;
  out.set(s.bytes.subarray(from, from + size), 16);
  out.set(d.bytes.subarray(from, from + size), 16 + size);
  out.set(s.bytes.subarray(2, 4), 16 + 2 * size);
  out.set(d.bytes.subarray(2, 4), 18 + 2 * size);
  return out;
}
