/**
 * `netlab bench`'s flags, as strings from the command line, to a validated plan: the runs to make
 * and how to print them. Each run's options are then checked once more by the library's
 * `normalizeOptions`, so a bad combination fails before the first run starts.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { durationHint, parseDuration } from "../runtime/duration.ts";
import { type Assertion, parseAssertion } from "../bench/assertions.ts";
import { normalizeOptions, parseBenchUrl } from "../bench/options.ts";
import type { BenchOptions } from "../bench/run.ts";

/** Output formats of `netlab bench`. */
export type BenchFormat = "ab" | "json" | "csv" | "markdown";

/** Flags as the command line gives them (strings), before validation. */
export interface BenchFlags {
  requests?: string;
  concurrency?: string;
  timelimit?: string;
  keepalive?: boolean;
  head?: boolean;
  method?: string;
  header?: string[];
  postfile?: string;
  contentType?: string;
  timeout?: string;
  quiet?: boolean;
  rate?: string;
  engine?: string;
  format?: string;
  out?: string;
  concurrencyLevels?: string;
  variableLength?: boolean;
  threads?: string;
  repeat?: string;
  warmup?: string;
  assert?: string[];
  cacert?: string;
  insecure?: boolean;
  /** ab -C: cookies, `name=value` (repeatable). */
  cookie?: string[];
  /** ab -A: `user:password` for Basic authentication. */
  auth?: string;
  /** ab -u: file to PUT. */
  putfile?: string;
  /** ab -r: do not stop on socket errors, which netlab never does anyway. */
  keepGoing?: boolean;
  /** One request per line: `[METHOD] URL [@body-file] [Header: value]...`. */
  urlsFile?: string;
  /** sequential or random. */
  order?: string;
  /** Seed of the random order. */
  seed?: string;
  /** Directory of bodies taking turns. */
  bodyDir?: string;
  /** Unix socket to dial (raw engine). */
  unixSocket?: string;
  /** HTML page of charts to write. */
  plot?: string;
  /** --live (true), --no-live (false), or neither. */
  live?: boolean;
}

/** A validated command line: the runs to make and how to print them. */
export interface BenchPlan {
  urls: string[];
  /** One run per level and URL. */
  concurrencyLevels: number[];
  /** Options shared by every run (url and concurrency are filled per run). */
  base: Omit<BenchOptions, "url" | "concurrency" | "body">;
  /** File to read the body from (ab -p). */
  postFile: string | null;
  format: BenchFormat;
  out: string | null;
  quiet: boolean;
  /** Runs per cell (--repeat). */
  repeat: number;
  /** Requests sent before each cell's runs, not counted (--warmup). */
  warmup: number;
  /** Thresholds checked after the runs (--assert). */
  assertions: Assertion[];
  /** File of PEM certificates to trust (`--cacert`), read before the run. */
  caCertFile: string | null;
  /** Skip certificate verification (`--insecure`). */
  insecure: boolean;
  /** Lines to tell the user before the run (on stderr), e.g. that the engine was switched. */
  notices: string[];
  /** `--urls-file`: read before the run; `urls` is then filled with its first line's URL. */
  urlsFile: string | null;
  /** `--body-dir`: read before the run. */
  bodyDir: string | null;
  /** `--plot FILE.html`: the page of charts, written after the run. */
  plot: string | null;
  /** --live (true), --no-live (false), or the default (undefined). */
  live: boolean | undefined;
}

function num(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) {
    throw new UsageError(`Invalid ${what} "${text}": expected a number`);
  }
  return n;
}

/** A whole number of at least 1, or a usage error naming the flag. */
function count(text: string | undefined, flag: string): number | undefined {
  const n = num(text, flag);
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) {
    throw new UsageError(`Invalid ${flag} "${text}": expected a whole number of at least 1`);
  }
  return n;
}

/** A number above 0, or a usage error naming the flag. */
function aboveZero(text: string | undefined, flag: string): number | undefined {
  const n = num(text, flag);
  if (n !== undefined && !(n > 0 && Number.isFinite(n))) {
    throw new UsageError(`Invalid ${flag} "${text}": expected a number greater than 0`);
  }
  return n;
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, "s");
  if (ms === null || ms === 0) {
    throw new UsageError(`Invalid ${flag} "${text}": expected ${durationHint("s", true)}`);
  }
  return ms / 1000;
}

function orderOf(text: string | undefined): "sequential" | "random" | undefined {
  if (text === undefined || text === "sequential" || text === "random") return text;
  throw new UsageError(`Invalid --order "${text}": expected sequential or random`);
}

function seedOf(text: string | undefined): number | undefined {
  const n = num(text, "--seed");
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0 || n > 0xffff_ffff)) {
    throw new UsageError(`Invalid --seed "${text}": expected a whole number from 0 to 4294967295`);
  }
  return n;
}

/** Base64 of the UTF-8 bytes of `text`, as Basic authentication wants it. */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** -H, -C and -A as header fields, in that order. */
function requestHeaders(flags: BenchFlags): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const h of flags.header ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0) throw new UsageError(`Invalid -H "${h}": expected "Name: value"`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  if (flags.cookie !== undefined && flags.cookie.length > 0) {
    headers.push(["Cookie", flags.cookie.join("; ")]);
  }
  if (flags.auth !== undefined) {
    if (!flags.auth.includes(":")) {
      throw new UsageError(`Invalid -A "${flags.auth}": expected user:password`);
    }
    headers.push(["Authorization", `Basic ${base64(flags.auth)}`]);
  }
  return headers;
}

/** -c N, or --concurrency-levels A,B,C (not both). */
function levelsOf(flags: BenchFlags): number[] {
  if (flags.concurrencyLevels === undefined) return [count(flags.concurrency, "-c") ?? 1];
  if (flags.concurrency !== undefined) {
    throw new UsageError("Use either -c or --concurrency-levels, not both");
  }
  return flags.concurrencyLevels.split(",").map((s) => count(s, "--concurrency-levels")!);
}

/** The options every run shares; `notices` gets a line for a flag that changed the engine. */
function baseOptions(
  flags: BenchFlags,
  urls: string[],
  headers: Array<[string, string]>,
  notices: string[],
): BenchPlan["base"] {
  const method = flags.method ?? (flags.head ? "HEAD" : undefined);
  const base: BenchPlan["base"] = { keepAlive: flags.keepalive ?? false };
  const set = <K extends keyof BenchPlan["base"]>(k: K, v: BenchPlan["base"][K] | undefined) => {
    if (v !== undefined) base[k] = v;
  };
  set("requests", count(flags.requests, "-n"));
  set("timeLimitSeconds", seconds(flags.timelimit, "-t"));
  set("timeoutSeconds", seconds(flags.timeout, "-s"));
  set("rate", aboveZero(flags.rate, "--rate"));
  set(
    "method",
    method ??
      (flags.postfile !== undefined ? "POST" : flags.putfile !== undefined ? "PUT" : undefined),
  );
  set("contentType", flags.contentType);
  set("variableLength", flags.variableLength);
  set("threads", count(flags.threads, "--threads"));
  set("order", orderOf(flags.order));
  set("seed", seedOf(flags.seed));
  set("unixSocket", flags.unixSocket);
  if (flags.unixSocket !== undefined && urls.some((u) => u.startsWith("https:"))) {
    throw new UsageError("Cannot use --unix-socket with https: it speaks plain HTTP");
  }
  if (headers.length > 0) base.headers = headers;
  let engine: string = flags.engine ?? "auto";
  if (engine !== "fetch" && engine !== "raw" && engine !== "auto") {
    throw new UsageError(`Invalid engine "${engine}": expected auto, fetch or raw`);
  }
  if (engine === "fetch" && headers.some(([k]) => k.toLowerCase() === "host")) {
    // fetch replaces a Host header with the URL's; only the raw engine sends what was asked
    engine = "raw";
    notices.push("fetch cannot send a Host header: using --engine raw");
  }
  base.engine = engine as "auto" | "fetch" | "raw";
  return base;
}

/** A whole number of at least `min` for `flag`, or `fallback` when not given. */
function wholeAtLeast(text: string | undefined, flag: string, min: number, fallback: number) {
  const n = num(text, flag) ?? fallback;
  if (!Number.isSafeInteger(n) || n < min) {
    const what = min > 0 ? `a whole number of at least ${min}` : "a whole number";
    throw new UsageError(`Invalid ${flag} "${text}": expected ${what}`);
  }
  return n;
}

/** Turns command-line flags and URLs into a plan; throws UsageError for anything invalid. */
export function resolveBenchFlags(flags: BenchFlags, urls: string[]): BenchPlan {
  const urlsFile = flags.urlsFile ?? null;
  if (urls.length === 0 && urlsFile === null) {
    throw new UsageError("Missing URL: netlab bench [options] URL... (or --urls-file FILE)");
  }
  if (urls.length > 0 && urlsFile !== null) {
    throw new UsageError("Use either URLs or --urls-file, not both");
  }
  urls = urls.map((u) => parseBenchUrl(u).href);
  const notices: string[] = [];
  const format = flags.format ?? "ab";
  if (!["ab", "json", "csv", "markdown"].includes(format)) {
    throw new UsageError(`Invalid format "${format}": expected ab, json, csv or markdown`);
  }
  const headers = requestHeaders(flags);
  if (flags.putfile !== undefined && flags.postfile !== undefined) {
    throw new UsageError("Use either -p (POST) or -u (PUT), not both");
  }
  const bodyFile = flags.postfile ?? flags.putfile;
  const levels = levelsOf(flags);
  const base = baseOptions(flags, urls, headers, notices);
  // Validate every combination now, so a bad level fails before the first run starts (a URLs
  // file's URL stands in for now: the file is read later).
  for (const url of urlsFile === null ? urls : ["http://127.0.0.1/"]) {
    for (const c of levels) {
      normalizeOptions({
        ...base,
        url,
        concurrency: c,
        ...(bodyFile !== undefined ? { body: new Uint8Array() } : {}),
      });
    }
  }
  return {
    repeat: wholeAtLeast(flags.repeat, "--repeat", 1, 1),
    warmup: wholeAtLeast(flags.warmup, "--warmup", 0, 0),
    assertions: (flags.assert ?? []).map(parseAssertion),
    urls,
    concurrencyLevels: levels,
    base,
    postFile: bodyFile ?? null,
    format: format as BenchFormat,
    out: flags.out ?? null,
    quiet: flags.quiet ?? false,
    caCertFile: flags.cacert ?? null,
    insecure: flags.insecure ?? false,
    notices,
    urlsFile,
    bodyDir: flags.bodyDir ?? null,
    plot: flags.plot ?? null,
    live: flags.live,
  };
}
