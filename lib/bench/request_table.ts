/**
 * Many requests in one run (`--urls-file`, `--body-dir`): the table of request lines and which
 * line and body request number i sends. The choice depends on i alone (and the seed), so several
 * threads claiming numbers from one counter send the same sequence one thread would.
 *
 * @module
 */

/** One request line: what to send, resolved against the run's flags. */
export interface RequestLine {
  method: string;
  url: URL;
  /** Headers in order: the run's (-H) then the line's, a line's replacing a run's of that name. */
  headers: Array<[string, string]>;
  /** The line's own body (`@file`), or null: then the run's bodies, if any, take turns. */
  body: Uint8Array | null;
}

/** The requests of a run and the order they go in. */
export interface RequestTable {
  lines: RequestLine[];
  /** Bodies taking turns on lines without their own (`--body-dir`): request i sends i mod n. */
  bodies: Uint8Array[];
  /** "sequential": request i sends line i mod n; "random": a seeded pseudo-random line. */
  order: "sequential" | "random";
  /** Seed of the random order. */
  seed: number;
}

/** A 32-bit integer hash (the "lowbias32" finalizer): request i's random line, same on every thread. */
function mix(seed: number, i: number): number {
  let x = (Math.floor(i / 0x1_0000_0000) ^ Math.imul(seed, 0x9e3779b1) ^ (i >>> 0)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The line request number `i` sends. */
export function lineOf(table: RequestTable, i: number): number {
  const n = table.lines.length;
  if (n === 1) return 0;
  return table.order === "sequential" ? i % n : mix(table.seed, i) % n;
}

/** The index into `table.bodies` request `i` on `line` sends, or -1 (none, or the line's own). */
export function bodyOf(table: RequestTable, i: number, line: number): number {
  const m = table.bodies.length;
  if (m === 0 || table.lines[line]!.body !== null) return -1;
  return i % m;
}

/** The body request line `line` with body index `body` sends (null: none). */
export function bodyBytes(table: RequestTable, line: number, body: number): Uint8Array | null {
  return body >= 0 ? table.bodies[body]! : table.lines[line]!.body;
}

/** "GET /path" or "POST http://other:8080/x": how a line is named in the reports. */
export function lineLabel(line: RequestLine, first: URL): string {
  const u = line.url;
  const target = u.origin === first.origin ? `${u.pathname}${u.search}` : u.href;
  return `${line.method} ${target}`;
}
