/**
 * `bench()`: one run against one URL. Closed model: `concurrency` clients each send their next
 * request when the previous one is done, until `requests` or `timeLimitSeconds`. Open model
 * (`rate`): request i is due at start + i/rate whatever the server does, and its latency counts
 * from when it was due, so a stalled server cannot hide its stall (coordinated omission).
 *
 * @module
 */
import { type Engine, type EngineClient, newSample, Outcome, type Sample } from "./engine.ts";
import { fetchEngine } from "./engines/fetch.ts";
import { rawEngine } from "./engines/raw.ts";
import { normalizeOptions } from "./options.ts";
import { type BenchResult, Recorder } from "./result.ts";

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
  /** "fetch" (Deno's fetch) or "raw" (HTTP/1.1 over sockets, exact bytes). @default {"fetch"} */
  engine?: "fetch" | "raw";
  /** Accept responses of varying length instead of counting Length failures (ab -l). @default {false} */
  variableLength?: boolean;
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
}

/** How to stop and watch a run. */
export interface BenchControl {
  /** Aborting stops the run; the result covers what was done. */
  signal?: AbortSignal;
  /** Called about every 250 ms while the run goes. */
  onProgress?: (progress: BenchProgress) => void;
}

/** Runs one benchmark and resolves to its result (it never rejects for network failures). */
export async function bench(
  options: BenchOptions,
  control: BenchControl = {},
): Promise<BenchResult> {
  const o = normalizeOptions(options);
  const engine: Engine = o.engine === "raw" ? rawEngine(o.spec) : fetchEngine(o.spec);
  const recorder = new Recorder({
    url: o.spec.url,
    method: o.spec.method,
    engine: engine.name,
    concurrency: o.concurrency,
    keepAlive: o.spec.keepAlive,
    rate: o.rate,
    // ab's "Total body sent" counts whole requests, and only when there is a body (-p).
    sentBytes: o.spec.body === null ? 0 : engine.requestBytes,
    variableLength: o.variableLength,
    exactWireBytes: engine.traits.exactWireBytes,
    connectTimes: engine.traits.connectTimes,
  });
  const clients: EngineClient[] = [];
  const samples: Sample[] = [];
  // A request is in flight from the call to request() until it returns; request() sets
  // sample.start before its first await, so the watchdog (a timer) never sees a stale start.
  const inFlight: boolean[] = [];
  let issued = 0;
  let stopped = false;
  let timedOut = false;
  const limit = o.requests;
  const timeoutMs = o.timeoutSeconds * 1000;
  // Open-model workers waiting for their next due time; stopping wakes them at once.
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.abort("stop");
    for (const [timer, wake] of sleepers) {
      clearTimeout(timer);
      wake();
    }
    sleepers.clear();
  };
  const signal = control.signal;
  if (signal?.aborted) stopped = true;
  signal?.addEventListener("abort", stop, { once: true });

  const start = performance.now();
  const deadline = o.timeLimitSeconds === null ? null : setTimeout(stop, o.timeLimitSeconds * 1000);
  const watchEvery = Math.max(10, Math.min(250, timeoutMs / 4));
  let lastProgress = start;
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < clients.length; i++) {
      if (inFlight[i] && now - samples[i]!.start > timeoutMs) {
        inFlight[i] = false;
        clients[i]!.abort("timeout");
      }
    }
    if (control.onProgress && now - lastProgress >= 250) {
      lastProgress = now;
      control.onProgress(progress(now));
    }
  }, watchEvery);
  const progress = (now: number): BenchProgress => {
    const done = recorder.complete + recorder.failed - recorder.failures.length;
    const elapsed = (now - start) / 1000;
    return {
      done,
      failed: recorder.failed,
      total: Number.isFinite(limit) ? limit : null,
      elapsedSeconds: elapsed,
      requestsPerSecond: elapsed > 0 ? done / elapsed : 0,
    };
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sleepers.delete(timer);
        resolve();
      }, ms);
      sleepers.set(timer, resolve);
    });

  const worker = async (index: number): Promise<void> => {
    const client = clients[index]!;
    const s = samples[index]!;
    s.wantServer = true;
    while (!stopped && issued < limit) {
      const i = issued++;
      if (o.rate !== null) {
        const due = start + (i * 1000) / o.rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        if (stopped) break;
        s.intended = due;
      }
      inFlight[index] = true;
      await client.request(s);
      inFlight[index] = false;
      if (o.rate === null) s.intended = s.start;
      if (s.outcome === Outcome.Aborted) break;
      if (s.outcome === Outcome.Exception && s.cause === "timeout") {
        s.cause = `timeout: no response within ${o.timeoutSeconds} s (-s)`;
        timedOut = true;
      }
      recorder.record(s);
      s.wantServer = recorder.serverSoftware === null;
      if (timedOut) stop();
    }
  };

  try {
    for (let i = 0; i < o.concurrency; i++) {
      clients.push(engine.client());
      samples.push(newSample());
      inFlight.push(false);
    }
    await Promise.all(clients.map((_, i) => worker(i)));
  } finally {
    clearInterval(watchdog);
    if (deadline !== null) clearTimeout(deadline);
    signal?.removeEventListener("abort", stop);
    for (const c of clients) c.close();
    engine.close();
  }
  const result = recorder.result(start, {
    interrupted: signal?.aborted ?? false,
    timedOut,
  });
  control.onProgress?.(progress(performance.now()));
  return result;
}
