/**
 * IP literals to and from `sockaddr_in` / `sockaddr_in6` bytes. Only literals: the epoll engine
 * does no name resolution (a host name makes the balancer pick the Deno engine).
 *
 * @module
 */
import { C } from "./_libc.ts";

/** Bytes of a `sockaddr_storage`, enough for any address `accept4` returns. */
export const SOCKADDR_MAX = 128;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  if (!text.includes(":") || text.includes("%")) return undefined;
  let words: number[] = [];
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const part = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const groups = s.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = part(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 2) {
    const tail = part(halves[1]!);
    if (!tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Whether `host` is an IPv4 or IPv6 literal this engine can use without resolving it. */
export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || parseIpv6(host) !== undefined;
}

/** A socket address ready for bind/connect. */
export interface SockAddr {
  family: number;
  bytes: Uint8Array;
}

/** Encodes an IP literal and port; throws a TypeError for anything else. */
export function encodeSockAddr(host: string, port: number): SockAddr {
  const v4 = parseIpv4(host);
  if (v4) {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, C.AF_INET, true);
    view.setUint16(2, port, false);
    bytes.set(v4, 4);
    return { family: C.AF_INET, bytes };
  }
  const v6 = parseIpv6(host);
  if (v6) {
    const bytes = new Uint8Array(28);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, C.AF_INET6, true);
    view.setUint16(2, port, false);
    bytes.set(v6, 8);
    return { family: C.AF_INET6, bytes };
  }
  throw new TypeError(`Not an IP address: "${host}"`);
}

function formatIpv6(b: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  // IPv4-mapped addresses read as Deno (and Rust) print them
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  }
  // RFC 5952: the longest run of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** Decodes a socket address written by the kernel (accept4, getsockname). */
export function decodeSockAddr(b: Uint8Array): Deno.NetAddr {
  const family = b[0]! | (b[1]! << 8);
  const port = (b[2]! << 8) | b[3]!;
  if (family === C.AF_INET6) {
    return { transport: "tcp", hostname: formatIpv6(b, 8), port };
  }
  return { transport: "tcp", hostname: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port };
}
