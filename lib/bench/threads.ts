/**
 * `bench()` on several threads, as wrk's -t: Web Workers each run a share of the connections and
 * claim request indexes from one shared counter, so the run still sends exactly `requests`, and
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
import type { NormalizedOptions } from "./options.ts";
import { type BenchResult, Recorder, type RecorderState } from "./result.ts";
import { type BenchControl, type BenchOptions, makeEngine, progressOf, runInfo } from "./run.ts";

/** Connections of worker `index` when `concurrency` are shared out among `threads`. */
export function shareOf(concurrency: number, threads: number, index: number): number {
  return Math.floor(concurrency / threads) + (index < concurrency % threads ? 1 : 0);
}

/** Runs `o` on `o.threads` workers; `options` is what the caller passed, sent on to each. */
export async function benchThreads(
  options: BenchOptions,
  o: NormalizedOptions,
  control: BenchControl,
): Promise<BenchResult> {
  const engine = makeEngine(o);
  const recorder = new Recorder(runInfo(o, engine, o.concurrency));
  engine.close(); // only its traits were wanted: each worker makes its own
  const shared = new SharedCounters(o.threads);
  const url = options.workerUrl ?? new URL("./bench_worker.ts", import.meta.url);
  const workers: Worker[] = [];
  const states: RecorderState[] = [];
  let timedOut = false;
  let failure: Error | null = null;
  let started = false;
  let start = performance.now();

  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => settle = resolve);
  let ready = 0;
  let done = 0;
  let deadline: ReturnType<typeof setTimeout> | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const post = (msg: ToBenchWorker) => {
    for (const w of workers) w.postMessage(msg);
  };
  let stopped = false;
  const stop = () => {
    stopped = true;
    shared.stop();
    if (!started) settle(); // nothing runs yet: no counters to wait for
    else post({ type: "stop" });
  };
  const fail = (err: Error) => {
    failure ??= err;
    settle();
  };
  const onMessage = (msg: FromBenchWorker) => {
    if (msg.type === "ready") {
      if (++ready < o.threads || stopped) return;
      // The clock starts once every worker is ready: loading the module is not load.
      started = true;
      start = performance.now();
      post({ type: "go", startEpoch: performance.timeOrigin + start });
      if (o.timeLimitSeconds !== null) deadline = setTimeout(stop, o.timeLimitSeconds * 1000);
      if (control.onProgress) {
        const onProgress = control.onProgress;
        ticker = setInterval(() => {
          const p = shared.progress();
          onProgress(progressOf(p.done, p.failed, o.requests, start, performance.now()));
        }, 250);
      }
    } else if (msg.type === "timeout") {
      timedOut = true;
      stop();
    } else if (msg.type === "done") {
      states.push(msg.state);
      timedOut ||= msg.timedOut;
      if (++done === o.threads) settle();
    } else fail(new Error(`Bench worker failed: ${msg.message}`));
  };

  const signal = control.signal;
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (signal?.aborted) stop();
    else {
      for (let i = 0; i < o.threads; i++) {
        const w = new Worker(url, { type: "module", name: BENCH_WORKER_NAME });
        workers.push(w);
        w.onmessage = (e: MessageEvent<FromBenchWorker>) => onMessage(e.data);
        w.onerror = (e) => {
          e.preventDefault();
          fail(new Error(`Bench worker failed: ${e.message}`));
        };
        const share: BenchOptions = {
          ...options,
          concurrency: shareOf(o.concurrency, o.threads, i),
          threads: 1,
        };
        delete share.workerUrl;
        w.postMessage({ type: "start", options: share, shared: shared.buffer, index: i });
      }
    }
    await finished;
  } finally {
    if (ticker !== null) clearInterval(ticker);
    if (deadline !== null) clearTimeout(deadline);
    signal?.removeEventListener("abort", stop);
    for (const w of workers) w.terminate();
  }
  if (failure !== null) throw failure;
  for (const s of states) recorder.absorb(s);
  const result = recorder.result(start, { interrupted: signal?.aborted ?? false, timedOut });
  control.onProgress?.(
    progressOf(
      result.complete + result.failed - result.failures.length,
      result.failed,
      o.requests,
      start,
      performance.now(),
    ),
  );
  return result;
}
