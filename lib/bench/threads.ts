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
  const url = options.workerUrl ?? BENCH_WORKER_URL;
  const workers: Worker[] = [];
  const states: RecorderState[] = [];
  const stopper = new AbortController();
  let timedOut = false;
  let failure: Error | null = null;
  let start = performance.now();

  // Every worker has loaded its module; every worker has sent its counters (or the run failed).
  const ready = Promise.withResolvers<void>();
  const done = Promise.withResolvers<void>();
  let readyCount = 0;
  let doneCount = 0;
  const post = (msg: ToBenchWorker) => {
    for (const w of workers) w.postMessage(msg);
  };
  const stop = () => {
    if (stopper.signal.aborted) return;
    shared.stop();
    stopper.abort();
    post({ type: "stop" });
    ready.resolve(); // when stopped while workers load: nothing to wait for
  };
  // The run cannot go on without a thread's share of the clients, nor report without its counters.
  const fail = (index: number, message: string) => {
    failure ??= threadError(index, o.threads, message);
    stop();
    done.resolve();
  };
  const onMessage = (index: number, msg: FromBenchWorker) => {
    if (msg.type === "ready") {
      if (++readyCount === workers.length) ready.resolve();
    } else if (msg.type === "timeout") {
      timedOut = true;
      stop();
    } else if (msg.type === "done") {
      states.push(msg.state);
      timedOut ||= msg.timedOut;
      if (++doneCount === workers.length) done.resolve();
    } else fail(index, msg.message);
  };

  const signal = control.signal;
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  let deadline: ReturnType<typeof setTimeout> | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const publish = () => shared.setProgress(0, doneOf(recorder), recorder.failed);
  try {
    for (let i = 1; i < o.threads && !stopper.signal.aborted; i++) {
      const w = new Worker(url, { type: "module", name: BENCH_WORKER_NAME });
      workers.push(w);
      const index = i;
      w.onmessage = (e: MessageEvent<FromBenchWorker>) => onMessage(index, e.data);
      w.onerror = (e) => {
        e.preventDefault();
        fail(index, e.message);
      };
      const share: BenchOptions = {
        ...options,
        engine: o.engine, // chosen once: every thread runs the engine the report names
        concurrency: shareOf(o.concurrency, o.threads, i),
        threads: 1,
      };
      delete share.workerUrl;
      w.postMessage({ type: "start", options: share, shared: shared.buffer, index: i });
    }
    // The clock starts once every worker is ready: loading a module is not load.
    await ready.promise;
    start = performance.now();
    if (!stopper.signal.aborted) {
      post({ type: "go", startEpoch: performance.timeOrigin + start });
      if (o.timeLimitSeconds !== null) deadline = setTimeout(stop, o.timeLimitSeconds * 1000);
      if (control.onProgress) {
        const onProgress = control.onProgress;
        ticker = setInterval(() => {
          publish();
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
    } else done.resolve();
    const limit = o.requests;
    timedOut = await runLoad({
      engine,
      table: o.spec.table ?? null,
      recorder,
      concurrency: shareOf(o.concurrency, o.threads, 0),
      start,
      rate: o.rate,
      timeoutSeconds: o.timeoutSeconds,
      claim: () => shared.claim(limit),
      signal: stopper.signal,
      onTimeout: stop,
    }) || timedOut;
    await done.promise;
  } finally {
    if (ticker !== null) clearInterval(ticker);
    if (deadline !== null) clearTimeout(deadline);
    signal?.removeEventListener("abort", stop);
    for (const w of workers) w.terminate();
  }
  if (failure !== null) throw failure;
  for (const s of states) recorder.absorb(s);
  const result = recorder.result(start, { interrupted: signal?.aborted ?? false, timedOut });
  publish();
  control.onProgress?.(
    progressOf(doneOf(recorder), recorder.failed, o.requests, start, performance.now()),
  );
  return result;
}

/** A worker's failure as a one-line runtime error ("Cannot run bench thread 2 of 2: ..."). */
function threadError(index: number, threads: number, message: string): NetlabError {
  const why = shortMessage(message.replace(/^Uncaught (\(in promise\) )?/, "")).replace(/\.$/, "");
  return new NetlabError(`Cannot run bench thread ${index + 1} of ${threads}: ${why}`);
}
