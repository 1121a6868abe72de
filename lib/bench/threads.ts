/**
 * `bench()` on several threads, as wrk's -t: the calling thread and Web Workers each run a share of
 * the connections and claim request indexes from one shared counter, so the run still sends exactly `requests`, and
 * with `rate` request i is still due at start + i/rate whichever worker sends it. At the end the
 * workers' counters and histograms are added into one result, the same as a one-thread run's.
 *
 * @module
 */
import {
  BENCH_WORKER_NAME,
  type FromBenchWorker,
  SharedCounters,
  type ToBenchWorker,
} from "./_thread_protocol.ts";
import { NetlabError } from "../errors.ts";
import { shortMessage } from "./engine.ts";
import type { NormalizedOptions } from "./options.ts";
import { runLoad } from "./_load.ts";
import type { BenchResult } from "./result.ts";
import { Recorder, type RecorderState } from "./recorder.ts";
import {
  type BenchControl,
  type BenchOptions,
  doneOf,
  makeEngine,
  progressOf,
  runInfo,
  withLive,
} from "./run.ts";

/**
 * The module bench workers start from when the caller names none. It exists only in the source
 * tree: a bundle or compiled binary must pass its own entry module as `workerUrl` instead.
 */
export const BENCH_WORKER_URL: string = new URL("./bench_worker.ts", import.meta.url).href;

/**
 * Whether a worker may load the module at `url`: a local one needs read access, which a library
 * caller running with only --allow-net has not granted.
 */
export function workerModuleReadable(url: string | URL): boolean {
  // A relative specifier is the Worker constructor's to resolve, and its error to give.
  if (!URL.canParse(url)) return true;
  const u = new URL(url);
  if (u.protocol !== "file:") return true;
  return Deno.permissions.querySync({ name: "read", path: u }).state === "granted";
}

/** Connections of thread `index` when `concurrency` are shared out among `threads`. */
export function shareOf(concurrency: number, threads: number, index: number): number {
  return Math.floor(concurrency / threads) + (index < concurrency % threads ? 1 : 0);
}

/**
 * Runs `o` on `o.threads` threads: this one and `o.threads - 1` workers (a worker costs about 30 MB
 * of its own, and this thread would otherwise only wait). `options` is what the caller passed, sent
 * on to each worker with its share of the connections.
 */
export async function benchThreads(
  options: BenchOptions,
  o: NormalizedOptions,
  control: BenchControl,
): Promise<BenchResult> {
  const shared = new SharedCounters(o.threads);
  const engine = makeEngine({
    ...o,
    spec: { ...o.spec, concurrency: shareOf(o.concurrency, o.threads, 0) },
  });
  // This thread's recorder is the run's: the workers' counters are added to it at the end.
  const recorder = new Recorder(
    runInfo(o, engine),
    (n) => shared.claimDocumentLength(n),
  );
  const crew = new Crew(shared, o.threads);
  let start = performance.now();
  const signal = control.signal;
  if (signal?.aborted) crew.stop();
  signal?.addEventListener("abort", crew.stop, { once: true });
  let deadline: ReturnType<typeof setTimeout> | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const publish = () => shared.setProgress(0, doneOf(recorder), recorder.failed);
  try {
    for (let i = 1; i < o.threads && !crew.stopped; i++) {
      crew.spawn(options.workerUrl ?? BENCH_WORKER_URL, i, workerShare(options, o, i));
    }
    // The clock starts once every worker is ready: loading a module is not load.
    await crew.ready.promise;
    start = performance.now();
    if (!crew.stopped) {
      crew.post({ type: "go", startEpoch: performance.timeOrigin + start });
      if (o.timeLimitSeconds !== null) deadline = setTimeout(crew.stop, o.timeLimitSeconds * 1000);
      if (control.onProgress) ticker = progressTicker(control, o, shared, recorder, start);
    } else crew.done.resolve();
    const limit = o.requests;
    const timedOut = await runLoad({
      engine,
      table: o.spec.table ?? null,
      recorder,
      concurrency: shareOf(o.concurrency, o.threads, 0),
      start,
      rate: o.rate,
      timeoutSeconds: o.timeoutSeconds,
      claim: () => shared.claim(limit),
      signal: crew.signal,
      onTimeout: crew.stop,
    });
    if (timedOut) crew.timedOut = true;
    await crew.done.promise;
  } finally {
    if (ticker !== null) clearInterval(ticker);
    if (deadline !== null) clearTimeout(deadline);
    signal?.removeEventListener("abort", crew.stop);
    crew.terminate();
  }
  if (crew.failure !== null) throw crew.failure;
  for (const s of crew.states) recorder.absorb(s);
  const result = recorder.result(start, {
    interrupted: signal?.aborted ?? false,
    timedOut: crew.timedOut,
  });
  publish();
  control.onProgress?.(
    progressOf(doneOf(recorder), recorder.failed, o.requests, start, performance.now()),
  );
  return result;
}

/** The options worker `index` runs with: its share of the clients, on one thread. */
function workerShare(options: BenchOptions, o: NormalizedOptions, index: number): BenchOptions {
  const share: BenchOptions = {
    ...options,
    engine: o.engine, // chosen once: every thread runs the engine the report names
    concurrency: shareOf(o.concurrency, o.threads, index),
    threads: 1,
  };
  delete share.workerUrl;
  return share;
}

/** Reports the whole run's progress every 250 ms (the workers publish theirs to `shared`). */
function progressTicker(
  control: BenchControl,
  o: NormalizedOptions,
  shared: SharedCounters,
  recorder: Recorder,
  start: number,
): ReturnType<typeof setInterval> {
  const onProgress = control.onProgress!;
  return setInterval(() => {
    shared.setProgress(0, doneOf(recorder), recorder.failed);
    const p = shared.progress();
    onProgress(
      withLive(
        progressOf(p.done, p.failed, o.requests, start, performance.now()),
        control,
        recorder,
        o.threads,
      ),
    );
  }, 250);
}

/**
 * The worker threads of one run: started, told to go or stop, and heard from. The run cannot go
 * on without a thread's share of the clients, nor report without its counters: a worker that
 * fails stops them all.
 */
class Crew {
  readonly #workers: Worker[] = [];
  /** The counters each worker sent at its end. */
  readonly states: RecorderState[] = [];
  readonly #stopper = new AbortController();
  readonly #shared: SharedCounters;
  readonly #threads: number;
  timedOut = false;
  failure: Error | null = null;
  /** Every worker has loaded its module (or the run stopped meanwhile). */
  readonly ready: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  /** Every worker has sent its counters (or the run failed). */
  readonly done: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  #readyCount = 0;
  #doneCount = 0;

  constructor(shared: SharedCounters, threads: number) {
    this.#shared = shared;
    this.#threads = threads;
  }

  /** Aborted once the run stops. */
  get signal(): AbortSignal {
    return this.#stopper.signal;
  }

  get stopped(): boolean {
    return this.#stopper.signal.aborted;
  }

  post(msg: ToBenchWorker): void {
    for (const w of this.#workers) w.postMessage(msg);
  }

  /** Stops every thread (a listener: bound). */
  readonly stop = (): void => {
    if (this.stopped) return;
    this.#shared.stop();
    this.#stopper.abort();
    this.post({ type: "stop" });
    this.ready.resolve(); // when stopped while workers load: nothing to wait for
  };

  /** Starts worker `index` on the module at `url` with `share`. */
  spawn(url: string | URL, index: number, share: BenchOptions): void {
    const w = new Worker(url, { type: "module", name: BENCH_WORKER_NAME });
    this.#workers.push(w);
    w.onmessage = (e: MessageEvent<FromBenchWorker>) => this.#onMessage(index, e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.#fail(index, e.message);
    };
    w.postMessage({ type: "start", options: share, shared: this.#shared.buffer, index });
  }

  terminate(): void {
    for (const w of this.#workers) w.terminate();
  }

  #fail(index: number, message: string): void {
    this.failure ??= threadError(index, this.#threads, message);
    this.stop();
    this.done.resolve();
  }

  #onMessage(index: number, msg: FromBenchWorker): void {
    if (msg.type === "ready") {
      if (++this.#readyCount === this.#workers.length) this.ready.resolve();
    } else if (msg.type === "timeout") {
      this.timedOut = true;
      this.stop();
    } else if (msg.type === "done") {
      this.states.push(msg.state);
      this.timedOut ||= msg.timedOut;
      if (++this.#doneCount === this.#workers.length) this.done.resolve();
    } else this.#fail(index, msg.message);
  }
}

/** A worker's failure as a one-line runtime error ("Cannot run bench thread 2 of 2: ..."). */
function threadError(index: number, threads: number, message: string): NetlabError {
  const why = shortMessage(message.replace(/^Uncaught (\(in promise\) )?/, "")).replace(/\.$/, "");
  return new NetlabError(`Cannot run bench thread ${index + 1} of ${threads}: ${why}`);
}
