/**
 * Checks the many-requests options of a run (`targets`, `bodies`, `order`, `seed`) and builds its
 * {@linkcode RequestTable}. Split from options.ts, which checks the rest.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { RequestLine, RequestTable } from "./request_table.ts";

/** One request of a many-requests run, as the library takes it. */
export interface BenchTarget {
  /** The URL (the same server as every other target's). */
  url: string;
  /** Method. @default {the run's method; POST with a body; else GET} */
  method?: string;
  /** Headers added to the run's (replacing a run's header of the same name). @default {[]} */
  headers?: Array<[string, string]>;
  /** This request's body; without one, the run's `bodies` take turns. @default {none} */
  body?: Uint8Array;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Checks headers; a Host header is the raw engine's alone. */
export function checkHeaders(
  headers: Array<[string, string]>,
  engine: "fetch" | "raw",
): Array<[string, string]> {
  if (engine === "fetch" && headers.some(([k]) => k.toLowerCase() === "host")) {
    throw new UsageError(
      "The fetch engine cannot send a Host header (fetch sets its own): use raw",
    );
  }
  for (const [k, v] of headers) {
    if (!TOKEN.test(k) || /[\r\n]/.test(v)) throw new UsageError(`Invalid header "${k}: ${v}"`);
  }
  return headers;
}

/** Checks a method name and upper-cases it. */
export function checkMethod(method: string): string {
  const m = method.toUpperCase();
  if (!TOKEN.test(m)) throw new UsageError(`Invalid method "${method}"`);
  return m;
}

/** What the table needs from the rest of the run's options. */
export interface TableBase {
  /** The run's method when it set one (-m, -p, -u), else null. */
  method: string | null;
  /** The run's headers (-H), checked. */
  headers: Array<[string, string]>;
  contentType: string;
  engine: "fetch" | "raw";
  parseUrl: (text: string) => URL;
}

function line(t: BenchTarget, base: TableBase, hasBodies: boolean, first: URL | null): RequestLine {
  const url = base.parseUrl(t.url);
  if (first !== null && url.origin !== first.origin) {
    throw new UsageError(
      `Invalid target "${t.url}": another server than the first target's (${first.origin}); one run loads one server`,
    );
  }
  const own = checkHeaders(t.headers ?? [], base.engine);
  const names = new Set(own.map(([k]) => k.toLowerCase()));
  const headers = [...base.headers.filter(([k]) => !names.has(k.toLowerCase())), ...own];
  const body = t.body ?? null;
  const withBody = body !== null || hasBodies;
  if (withBody && !headers.some(([k]) => k.toLowerCase() === "content-type")) {
    headers.push(["Content-Type", base.contentType]);
  }
  const method = checkMethod(t.method ?? base.method ?? (withBody ? "POST" : "GET"));
  return { method, url, headers, body };
}

/** The run's request table, or null for a run of one request shape. */
export function tableOf(
  options: {
    url: string;
    targets?: BenchTarget[];
    bodies?: Uint8Array[];
    order?: "sequential" | "random";
    seed?: number;
  },
  base: TableBase,
): RequestTable | null {
  const bodies = options.bodies ?? [];
  if (options.targets === undefined && bodies.length === 0) return null;
  const targets = options.targets ?? [{ url: options.url }];
  if (targets.length === 0) throw new UsageError("No target: expected at least one request");
  const order = options.order ?? "sequential";
  if (order !== "sequential" && order !== "random") {
    throw new UsageError(`Invalid order "${order}": expected sequential or random`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new UsageError(`Invalid seed "${seed}": expected a whole number`);
  }
  const first = base.parseUrl(targets[0]!.url);
  const lines = targets.map((t, k) => line(t, base, bodies.length > 0, k === 0 ? null : first));
  return { lines, bodies, order, seed: seed | 0 };
}
