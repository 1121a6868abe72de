/**
 * Validation of bench options for the library (`BenchOptions`); the command line's flags are read
 * by `lib/cli/bench_flags.ts`, which ends here too. Throws {@linkcode UsageError} with one line
 * saying what is wrong.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { MAX_DURATION_MS } from "../runtime/duration.ts";
import type { RequestSpec } from "./engine.ts";
import type { BenchOptions } from "./run.ts";
import { chooseEngine, denoEnv, type EngineChoice } from "./engine_choice.ts";
import { checkHeaders, checkMethod, tableOf } from "./_table_options.ts";

/** Validated options for one run. */
export interface NormalizedOptions {
  spec: RequestSpec;
  engine: "fetch" | "raw";
  /** Why this engine (the report's first lines say it). */
  engineReason: string;
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

/** The engine for `options.engine` ("auto" chooses; a Host header only raw can send). */
function engineFor(options: BenchOptions, url: URL): EngineChoice {
  const requested = options.engine ?? "fetch";
  if (requested !== "fetch" && requested !== "raw" && requested !== "auto") {
    throw new UsageError(`Invalid engine "${requested}": expected auto, fetch or raw`);
  }
  const host = (options.headers ?? []).some(([k]) => k.toLowerCase() === "host");
  if (requested === "auto" && host) {
    return {
      engine: "raw",
      requested,
      reason: "auto: a Host header, which only raw sends as given",
    };
  }
  if (requested === "auto" && options.unixSocket !== undefined) {
    return { engine: "raw", requested, reason: "auto: a Unix socket, which only raw dials" };
  }
  return chooseEngine(requested, url, denoEnv());
}

/** Checks `options` and fills ab's defaults. */
export function normalizeOptions(options: BenchOptions): NormalizedOptions {
  const url = parseBenchUrl(options.url);
  const load = loadOf(options);
  const { concurrency, requests } = load;
  const choice = engineFor(options, url);
  const engine = choice.engine;
  const threads = Math.min(
    positiveInt(options.threads ?? DEFAULT_THREADS[engine], "thread count"),
    concurrency,
  );
  if (concurrency > requests) {
    throw new UsageError(
      `Cannot use concurrency level ${concurrency} greater than total number of requests ${requests}`,
    );
  }
  return {
    spec: specOf(options, url, engine, concurrency),
    engine,
    engineReason: choice.reason,
    requests,
    concurrency,
    timeLimitSeconds: load.timeLimitSeconds,
    timeoutSeconds: timerSeconds(options.timeoutSeconds ?? 30, "timeout"),
    rate: load.rate,
    variableLength: options.variableLength ?? false,
    threads,
  };
}

/** How much load, how fast and for how long, checked. */
function loadOf(options: BenchOptions): Pick<
  NormalizedOptions,
  "concurrency" | "timeLimitSeconds" | "rate" | "requests"
> {
  const concurrency = positiveInt(options.concurrency ?? 1, "concurrency");
  if (concurrency > MAX_CONCURRENCY) {
    throw new UsageError(
      `Invalid concurrency "${concurrency}": at most ${MAX_CONCURRENCY} connections (each takes a file descriptor and a local port)`,
    );
  }
  const timeLimitSeconds = options.timeLimitSeconds === undefined
    ? null
    : timerSeconds(options.timeLimitSeconds, "time limit");
  const rate = options.rate === undefined ? null : positive(options.rate, "rate");
  const requests = options.requests !== undefined
    ? positiveInt(options.requests, "number of requests")
    : timeLimitSeconds === null
    ? 1
    : Infinity;
  return { concurrency, timeLimitSeconds, rate, requests };
}

/** What each request is (method, headers, body, or a table of them) and where it goes. */
function specOf(
  options: BenchOptions,
  url: URL,
  engine: NormalizedOptions["engine"],
  concurrency: number,
): NormalizedOptions["spec"] {
  const body = options.body ?? null;
  const headers = [...checkHeaders(options.headers ?? [], engine)];
  const contentType = options.contentType ?? "text/plain";
  const table = tableOf(options, {
    method: options.method === undefined ? null : checkMethod(options.method),
    headers,
    contentType,
    engine,
    parseUrl: parseBenchUrl,
  });
  const first = table === null ? null : table.lines[0]!;
  const method = first?.method ??
    checkMethod(options.method ?? (body !== null ? "POST" : "GET"));
  if (body !== null && !headers.some(([k]) => k.toLowerCase() === "content-type")) {
    headers.push(["Content-Type", contentType]);
  }
  if (options.unixSocket !== undefined && engine !== "raw") {
    throw new UsageError("Only the raw engine dials a Unix socket: use --engine raw (or auto)");
  }
  return {
    url: first?.url ?? url,
    method,
    headers: first?.headers ?? headers,
    body: first === null ? body : first.body,
    table,
    unixSocket: options.unixSocket ?? null,
    keepAlive: options.keepAlive ?? false,
    concurrency,
    sockets: options.sockets ?? "auto",
    caCerts: options.caCerts ?? [],
    ...(options.insecure ? { insecure: true } : {}),
  };
}
