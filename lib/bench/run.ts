/**
 * `bench()`: one run against one URL. Closed model: `concurrency` clients each send their next
 * request when the previous one is done, until `requests` or `timeLimitSeconds`. Open model
 * (`rate`): request i is due at start + i/rate whatever the server does, and its latency counts
 * from when it was due, so a stalled server cannot hide its stall (coordinated omission). With
 * `threads` above 1 the clients are shared out among Web Workers (lib/bench/threads.ts).
 *
 * @module
 */
import type { Engine } from "./engine.ts";
import type { BenchTarget } from "./_table_options.ts";
import { lineLabel } from "./request_table.ts";
import { fetchEngine } from "./engines/fetch.ts";
import { rawEngine } from "./engines/raw.ts";
import { runLoad } from "./_load.ts";
import { type NormalizedOptions, normalizeOptions } from "./options.ts";
import type { BenchResult } from "./result.ts";
import { type LiveSnapshot, Recorder, type RunInfo } from "./recorder.ts";
import { BENCH_WORKER_URL, benchThreads, workerModuleReadable } from "./threads.ts";

/** What one bench run does. Only `url` is required; the rest default as ab does. */
export interface BenchOptions {
  /** The URL to load (http: or https:). */
  url: string;
  /** Number of requests (ab -n). @default {1, or unlimited with timeLimitSeconds} */
  requests?: number;
  /** Requests in flight at once, each on its own connection (ab -c). @default {1} */
  concurrency?: number;
  /** Stop after this many seconds (ab -t). @default {no limit} */
  timeLimitSeconds?: number;
  /** Reuse connections (ab -k). @default {false} */
  keepAlive?: boolean;
  /** HTTP method (ab -m; -i is HEAD; -p makes it POST). @default {"GET"} */
  method?: string;
  /** Extra request headers, in order (ab -H). @default {[]} */
  headers?: Array<[string, string]>;
  /** Request body (ab -p). @default {none} */
  body?: Uint8Array;
  /** Content-Type of the body (ab -T). @default {"text/plain" when there is a body} */
  contentType?: string;
  /** Per-request timeout in seconds; a request hitting it ends the run (ab -s). @default {30} */
  timeoutSeconds?: number;
  /** Open model: requests per second, latency corrected for coordinated omission. @default {none} */
  rate?: number;
  /** PEM certificates to trust for https besides the system's, e.g. a self-signed one. @default {[]} */
  caCerts?: string[];
  /** Check no https certificate (raw engine on OpenSSL; Deno's TLS needs its own flag). */
  insecure?: boolean;
  /**
   * "raw" (HTTP/1.1 over sockets, exact bytes), "fetch" (Deno's fetch) or "auto": raw unless a
   * proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, not excluded by NO_PROXY)
   * applies to the URL, which only fetch goes through. @default {"fetch"}
   */
  engine?: "auto" | "fetch" | "raw";
  /**
   * The raw engine's sockets: "auto" runs plain http to an IP address on netlab's epoll loop where
   * it can (Linux, FFI allowed), "deno" always on Deno.connect. @default {"auto"}
   */
  sockets?: "auto" | "deno";
  /**
   * Many requests in one run (`--urls-file`): each target's URL (one server for all), method,
   * headers and body; `url` names the run (the first target's). @default {none: `url` alone}
   */
  targets?: BenchTarget[];
  /** Bodies taking turns on requests without their own (`--body-dir`). @default {[]} */
  bodies?: Uint8Array[];
  /** Order of `targets`: "sequential" (request i sends i mod n) or "random". @default {"sequential"} */
  order?: "sequential" | "random";
  /** Seed of the random order. @default {1} */
  seed?: number;
  /** Dial this Unix socket (raw engine; the Host header still comes from the URL). @default {none} */
  unixSocket?: string;
  /** Accept responses of varying length instead of counting Length failures (ab -l). @default {false} */
  variableLength?: boolean;
  /**
   * Threads (Web Workers) sharing the connections, as wrk's -t; never more than `concurrency`.
   * By default a run that cannot read the worker module (no --allow-read) stays on one thread.
   * @default {DEFAULT_THREADS}
   */
  threads?: number;
  /**
   * Module the worker threads start from: netlab's entry module (main.ts, a bundle, a binary's
   * main), which runs the worker loop when named "netlab-bench-worker".
   * @default {lib/bench/bench_worker.ts}
   */
  workerUrl?: string | URL;
}

/** Progress of a running bench, sent every ~250 ms. */
export interface BenchProgress {
  /** Requests finished (complete or failed). */
  done: number;
  /** Failed requests so far. */
  failed: number;
  /** Planned request count, or null when only a time limit bounds the run. */
  total: number | null;
  /** Seconds since the run started. */
  elapsedSeconds: number;
  /** Finished requests per second since the start. */
  requestsPerSecond: number;
  /**
   * With `live`: latency, status codes and errors so far (with threads, the calling thread's
   * share, `liveThreads` telling how many there are).
   */
  live?: LiveSnapshot;
  /** Threads of the run, when `live` covers only the calling thread's share. */
  liveThreads?: number;
}

/** How to stop and watch a run. */
export interface BenchControl {
  /** Aborting stops the run; the result covers what was done. */
  signal?: AbortSignal;
  /** Called about every 250 ms while the run goes. */
  onProgress?: (progress: BenchProgress) => void;
  /** Add a live snapshot (latency so far, status codes, errors) to each progress report. */
  live?: boolean;
}

/**
 * Runs one benchmark and resolves to its result (it never rejects for network failures).
 *
 * @param options what to load and how (see {@linkcode BenchOptions} for defaults)
 * @param control `signal` stops the run early (the result covers what was done); `onProgress`
 *   is called about every 250 ms
 * @returns the counters, timings and percentiles of the run
 *
 * @example
 * ```ts
 * import { bench } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hello"),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const result = await bench({ url, requests: 100, concurrency: 10, keepAlive: true, engine: "raw" });
 * assert.equal(result.complete, 100);
 * assert.equal(result.documentLength, 5);
 * assert.ok(result.percentiles["99"]! >= result.percentiles["50"]!);
 * ```
 */
export function bench(options: BenchOptions, control: BenchControl = {}): Promise<BenchResult> {
  const o = normalizeOptions(options);
  // The default must not fail where one thread works: a caller granted only --allow-net did not
  // ask for threads. One who asked explicitly gets Deno's error naming the missing permission.
  const canStart = options.threads !== undefined ||
    workerModuleReadable(options.workerUrl ?? BENCH_WORKER_URL);
  if (o.threads > 1 && canStart) return benchThreads(options, o, control);
  return benchHere({ ...o, threads: 1 }, control);
}

/** The engine a run uses. */
export function makeEngine(o: NormalizedOptions): Engine {
  return o.engine === "raw" ? rawEngine(o.spec) : fetchEngine(o.spec);
}

/** What the recorder of a run (or of one thread's share of it) needs to know. */
export function runInfo(o: NormalizedOptions, engine: Engine): RunInfo {
  return {
    url: o.spec.url,
    method: o.spec.method,
    engine: engine.name,
    engineReason: o.engineReason,
    concurrency: o.concurrency,
    threads: o.threads,
    keepAlive: o.spec.keepAlive,
    rate: o.rate,
    // ab's "Total body sent" counts whole requests, and only when there is a body (-p).
    sentBytes: hasBody(o) ? Math.max(1, engine.requestBytes) : 0,
    lines: o.spec.table
      ? o.spec.table.lines.map((l) => ({
        label: lineLabel(l, o.spec.url),
        method: l.method,
        url: l.url.href,
      }))
      : null,
    variableLength: o.variableLength,
    exactWireBytes: engine.traits.exactWireBytes,
    connectTimes: engine.traits.connectTimes,
  };
}

/** Whether any request of the run has a body. */
function hasBody(o: NormalizedOptions): boolean {
  const t = o.spec.table;
  if (t === null || t === undefined) return o.spec.body !== null;
  return t.bodies.length > 0 || t.lines.some((l) => l.body !== null);
}

/** A progress report from finished and failed counts. */
export function progressOf(
  done: number,
  failed: number,
  limit: number,
  start: number,
  now: number,
): BenchProgress {
  const elapsed = (now - start) / 1000;
  return {
    done,
    failed,
    total: Number.isFinite(limit) ? limit : null,
    elapsedSeconds: elapsed,
    requestsPerSecond: elapsed > 0 ? done / elapsed : 0,
  };
}

/** The progress report with the live snapshot, when the caller asked for one. */
export function withLive(
  p: BenchProgress,
  control: BenchControl,
  recorder: Recorder,
  threads = 1,
): BenchProgress {
  if (!control.live) return p;
  p.live = recorder.live();
  if (threads > 1) p.liveThreads = threads;
  return p;
}

/** Requests finished (length failures are complete responses, counted once). */
export function doneOf(recorder: Recorder): number {
  return recorder.complete + recorder.failed - recorder.failures.length;
}

/** The whole run on this thread. */
async function benchHere(o: NormalizedOptions, control: BenchControl): Promise<BenchResult> {
  const engine = makeEngine(o);
  const recorder = new Recorder(runInfo(o, engine));
  const stopper = new AbortController();
  const signal = control.signal;
  const stop = () => stopper.abort();
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  const start = performance.now();
  const deadline = o.timeLimitSeconds === null ? null : setTimeout(stop, o.timeLimitSeconds * 1000);
  const limit = o.requests;
  let issued = 0;
  let timedOut = false;
  try {
    timedOut = await runLoad({
      engine,
      table: o.spec.table ?? null,
      recorder,
      concurrency: o.concurrency,
      start,
      rate: o.rate,
      timeoutSeconds: o.timeoutSeconds,
      claim: () => (issued < limit ? issued++ : null),
      signal: stopper.signal,
      onTimeout: stop,
      ...(control.onProgress
        ? {
          onTick: (now: number) =>
            control.onProgress!(
              withLive(
                progressOf(doneOf(recorder), recorder.failed, limit, start, now),
                control,
                recorder,
              ),
            ),
        }
        : {}),
    });
  } finally {
    if (deadline !== null) clearTimeout(deadline);
    signal?.removeEventListener("abort", stop);
  }
  const result = recorder.result(start, { interrupted: signal?.aborted ?? false, timedOut });
  control.onProgress?.(
    withLive(
      progressOf(doneOf(recorder), recorder.failed, limit, start, performance.now()),
      control,
      recorder,
    ),
  );
  return result;
}
