/**
 * Validation of bench options, for the library (`BenchOptions`) and the CLI (flags as strings).
 * Both throw {@linkcode UsageError} with one line saying what is wrong.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { durationHint, MAX_DURATION_MS, parseDuration } from "../runtime/duration.ts";
import type { RequestSpec } from "./engine.ts";
import type { BenchOptions } from "./run.ts";
import { type Assertion, parseAssertion } from "./assertions.ts";

/** Validated options for one run. */
export interface NormalizedOptions {
  spec: RequestSpec;
  engine: "fetch" | "raw";
  requests: number;
  concurrency: number;
  timeLimitSeconds: number | null;
  timeoutSeconds: number;
  rate: number | null;
  variableLength: boolean;
  /** Worker threads, at most `concurrency`; 1 runs on the calling thread. */
  threads: number;
}

/**
 * Threads when none are asked for, per engine. Measured against nginx on 2 cores that the server
 * shares (see README): fetch spends most of a core in Deno's fetch itself, and a second thread gives
 * it 30-60% more; raw keeps pace with wrk on one thread, and a second only competes with the server.
 */
export const DEFAULT_THREADS: Readonly<Record<"fetch" | "raw", number>> = { fetch: 2, raw: 1 };

/**
 * The most connections one bench opens: past it, file descriptors and the loopback's ephemeral
 * ports (about 28,000 on Linux, shared with the server's side) run out, and every connect fails.
 */
export const MAX_CONCURRENCY = 10_000;

/**
 * Parses and checks a URL the way ab would accept it (http or https, with a host); without a
 * scheme it is http, as curl takes `localhost:8000/`.
 */
export function parseBenchUrl(text: string): URL {
  let url: URL;
  const full = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  const port = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(full)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new UsageError(`Invalid URL "${text}": port ${port} is out of range (1-65535)`);
  }
  try {
    url = new URL(full);
  } catch (err) {
    throw new UsageError(`Invalid URL "${text}": expected http://host[:port]/path`, { cause: err });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Invalid URL "${text}": only http and https are supported`);
  }
  if (url.hostname === "") throw new UsageError(`Invalid URL "${text}": no host`);
  return url;
}

function positiveInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`Invalid ${what} "${value}": expected a whole number of at least 1`);
  }
  return value;
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Invalid ${what} "${value}": expected a number greater than 0`);
  }
  return value;
}

/** Seconds for a timer: more than 0 and at most 24 days (longer ones would fire at once). */
function timerSeconds(value: number, what: string): number {
  positive(value, what);
  if (value * 1000 > MAX_DURATION_MS) {
    throw new UsageError(
      `Invalid ${what} "${value}": expected at most ${MAX_DURATION_MS / 1000} seconds (24 days)`,
    );
  }
  return value;
}

/** Checks `options` and fills ab's defaults. */
export function normalizeOptions(options: BenchOptions): NormalizedOptions {
  const url = parseBenchUrl(options.url);
  const concurrency = positiveInt(options.concurrency ?? 1, "concurrency");
  if (concurrency > MAX_CONCURRENCY) {
    throw new UsageError(
      `Invalid concurrency "${concurrency}": at most ${MAX_CONCURRENCY} connections (each takes a file descriptor and a local port)`,
    );
  }
  const timeLimit = options.timeLimitSeconds === undefined
    ? null
    : timerSeconds(options.timeLimitSeconds, "time limit");
  const rate = options.rate === undefined ? null : positive(options.rate, "rate");
  let requests: number;
  if (options.requests !== undefined) {
    requests = positiveInt(options.requests, "number of requests");
  } else requests = timeLimit === null ? 1 : Infinity;
  const engine = options.engine ?? "fetch";
  if (engine !== "fetch" && engine !== "raw") {
    throw new UsageError(`Invalid engine "${engine}": expected fetch or raw`);
  }
  const threads = Math.min(
    positiveInt(options.threads ?? DEFAULT_THREADS[engine], "thread count"),
    concurrency,
  );
  if (concurrency > requests) {
    throw new UsageError(
      `Cannot use concurrency level ${concurrency} greater than total number of requests ${requests}`,
    );
  }
  const body = options.body ?? null;
  const method = (options.method ?? (body !== null ? "POST" : "GET")).toUpperCase();
  if (!/^[A-Z0-9!#$%&'*+.^_`|~-]+$/.test(method)) {
    throw new UsageError(`Invalid method "${options.method}"`);
  }
  const headers: Array<[string, string]> = [];
  if (engine === "fetch" && (options.headers ?? []).some(([k]) => k.toLowerCase() === "host")) {
    throw new UsageError(
      "The fetch engine cannot send a Host header (fetch sets its own): use raw",
    );
  }
  for (const [k, v] of options.headers ?? []) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\r\n]/.test(v)) {
      throw new UsageError(`Invalid header "${k}: ${v}"`);
    }
    headers.push([k, v]);
  }
  if (body !== null && !headers.some(([k]) => k.toLowerCase() === "content-type")) {
    headers.push(["Content-Type", options.contentType ?? "text/plain"]);
  }
  return {
    spec: {
      url,
      method,
      headers,
      body,
      keepAlive: options.keepAlive ?? false,
      concurrency,
      sockets: options.sockets ?? "auto",
      caCerts: options.caCerts ?? [],
    },
    engine,
    requests,
    concurrency,
    timeLimitSeconds: timeLimit,
    timeoutSeconds: timerSeconds(options.timeoutSeconds ?? 30, "timeout"),
    rate,
    variableLength: options.variableLength ?? false,
    threads,
  };
}

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
}

function num(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) {
    throw new UsageError(`Invalid ${what} "${text}": expected a number`);
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

/** Base64 of the UTF-8 bytes of `text`, as Basic authentication wants it. */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** Turns command-line flags and URLs into a plan; throws UsageError for anything invalid. */
export function resolveBenchFlags(flags: BenchFlags, urls: string[]): BenchPlan {
  if (urls.length === 0) throw new UsageError("Missing URL: netlab bench [options] URL...");
  urls = urls.map((u) => parseBenchUrl(u).href);
  const notices: string[] = [];
  const format = flags.format ?? "ab";
  if (!["ab", "json", "csv", "markdown"].includes(format)) {
    throw new UsageError(`Invalid format "${format}": expected ab, json, csv or markdown`);
  }
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
  if (flags.putfile !== undefined && flags.postfile !== undefined) {
    throw new UsageError("Use either -p (POST) or -u (PUT), not both");
  }
  const bodyFile = flags.postfile ?? flags.putfile;
  let levels: number[];
  if (flags.concurrencyLevels !== undefined) {
    levels = flags.concurrencyLevels.split(",").map((s) => num(s, "--concurrency-levels")!);
    if (flags.concurrency !== undefined) {
      throw new UsageError("Use either -c or --concurrency-levels, not both");
    }
  } else {
    levels = [num(flags.concurrency, "-c") ?? 1];
  }
  const method = flags.method ?? (flags.head ? "HEAD" : undefined);
  const base: BenchPlan["base"] = { keepAlive: flags.keepalive ?? false };
  const set = <K extends keyof BenchPlan["base"]>(k: K, v: BenchPlan["base"][K] | undefined) => {
    if (v !== undefined) base[k] = v;
  };
  set("requests", num(flags.requests, "-n"));
  set("timeLimitSeconds", seconds(flags.timelimit, "-t"));
  set("timeoutSeconds", seconds(flags.timeout, "-s"));
  set("rate", num(flags.rate, "--rate"));
  set(
    "method",
    method ??
      (flags.postfile !== undefined ? "POST" : flags.putfile !== undefined ? "PUT" : undefined),
  );
  set("contentType", flags.contentType);
  set("variableLength", flags.variableLength);
  set("threads", num(flags.threads, "--threads"));
  if (headers.length > 0) base.headers = headers;
  let engine: string = flags.engine ?? "fetch";
  if (engine !== "fetch" && engine !== "raw") {
    throw new UsageError(`Invalid engine "${engine}": expected fetch or raw`);
  }
  if (engine === "fetch" && headers.some(([k]) => k.toLowerCase() === "host")) {
    // fetch replaces a Host header with the URL's; only the raw engine sends what was asked
    engine = "raw";
    notices.push("fetch cannot send a Host header: using --engine raw");
  }
  base.engine = engine as "fetch" | "raw";
  // Validate every combination now, so a bad level fails before the first run starts.
  for (const url of urls) {
    for (const c of levels) {
      normalizeOptions({
        ...base,
        url,
        concurrency: c,
        ...(bodyFile !== undefined ? { body: new Uint8Array() } : {}),
      });
    }
  }
  const repeat = num(flags.repeat, "repeat count") ?? 1;
  if (!Number.isSafeInteger(repeat) || repeat < 1) {
    throw new UsageError(
      `Invalid repeat count "${flags.repeat}": expected a whole number of at least 1`,
    );
  }
  const warmup = num(flags.warmup, "warm-up request count") ?? 0;
  if (!Number.isSafeInteger(warmup) || warmup < 0) {
    throw new UsageError(
      `Invalid warm-up request count "${flags.warmup}": expected a whole number`,
    );
  }
  return {
    repeat,
    warmup,
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
  };
}
