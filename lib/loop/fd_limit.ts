/**
 * The descriptor limit (RLIMIT_NOFILE): raised from the soft toward the hard limit, as HAProxy
 * and nginx do, so a server can hold as many sockets as the system lets it.
 *
 * @module
 */
import { C, openLibc } from "./_libc.ts";

/** A process's descriptor limits. */
export interface FdLimit {
  /** The limit in force (the soft limit). */
  soft: number;
  /** The most it can be raised to without privileges. */
  hard: number;
}

const decode = (v: bigint): number => v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);

/**
 * Raises the soft descriptor limit to the hard one (Linux, with FFI allowed) and returns the
 * limits then in force; without FFI it only reads them. Deno raises the limit itself at start
 * on most systems, so this usually finds nothing to do.
 *
 * @returns the limits, or undefined where they cannot be read (not Linux)
 */
export function raiseFdLimit(): FdLimit | undefined {
  if (Deno.build.os !== "linux") return undefined;
  let libc;
  try {
    libc = openLibc();
  } catch {
    return readProcLimit();
  }
  try {
    const buf = new BigUint64Array(2);
    const bytes = new Uint8Array(buf.buffer);
    if (libc.sym.getrlimit(C.RLIMIT_NOFILE, bytes) !== 0) return readProcLimit();
    if (buf[0]! < buf[1]!) {
      const want = buf[1]!;
      buf[0] = want;
      libc.sym.setrlimit(C.RLIMIT_NOFILE, bytes);
      libc.sym.getrlimit(C.RLIMIT_NOFILE, bytes);
    }
    return { soft: decode(buf[0]!), hard: decode(buf[1]!) };
  } finally {
    libc.close();
  }
}

function readProcLimit(): FdLimit | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n").find((l) =>
      l.startsWith("Max open files")
    );
    const m = line && /Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return undefined;
    const n = (s: string) => s === "unlimited" ? Infinity : Number(s);
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}
