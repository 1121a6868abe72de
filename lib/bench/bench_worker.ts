/**
 * The code inside each bench worker thread: its share of the clients, counting in its own recorder
 * and claiming request indexes from the shared counter. `main.ts` calls {@link runBenchWorker} when
 * it finds itself loaded as a worker named {@link BENCH_WORKER_NAME} (so bundles and compiled
 * binaries need no second entry point); library users get this module as the default, which starts
 * the loop by itself when loaded as such a worker.
 *
 * @module
 */
import { runLoad } from "./_load.ts";
import {
  BENCH_WORKER_NAME,
  type FromBenchWorker,
  SharedCounters,
  type ToBenchWorker,
} from "./_thread_protocol.ts";
import { normalizeOptions } from "./options.ts";
import { Recorder } from "./recorder.ts";
import { doneOf, makeEngine, runInfo } from "./run.ts";

/** The parts of a dedicated worker's global scope the loop uses. */
interface WorkerScope {
  name: string;
  postMessage(message: FromBenchWorker): void;
  onmessage: ((event: MessageEvent<ToBenchWorker>) => void) | null;
}

/**
 * Tells whether this code runs inside a worker that `bench()` started.
 *
 * @returns true in a Web Worker named {@link BENCH_WORKER_NAME}
 */
export function isBenchWorkerScope(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
      "undefined" &&
    (globalThis as unknown as WorkerScope).name === BENCH_WORKER_NAME;
}

/**
 * Runs the worker loop: waits for "start", then "go", runs its share and posts its counters.
 *
 * @returns `isBenchWorkerScope()`: true inside a worker named "netlab-bench-worker".
 *
 * @example An entry module that is also the bench's worker
 * ```ts ignore
 * import { bench, isBenchWorkerScope, runBenchWorker } from "@netlab/netlab/bench";
 *
 * if (isBenchWorkerScope()) {
 *   runBenchWorker();
 * } else {
 *   const url = "http://127.0.0.1:8000/";
 *   const r = await bench({ url, requests: 1000, concurrency: 8, threads: 2, workerUrl: import.meta.url });
 *   console.log(r.requestsPerSecond);
 * }
 * ```
 */
export function runBenchWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const stopper = new AbortController();
  let go: (startEpoch: number) => void = () => {};
  const started = new Promise<number>((resolve) => go = resolve);
  scope.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === "start") {
      run(scope, msg, started, stopper.signal).catch((err) =>
        scope.postMessage({
          type: "failed",
          message: err instanceof Error ? err.message : String(err),
        })
      );
    } else if (msg.type === "go") go(msg.startEpoch);
    else {
      stopper.abort();
      go(performance.timeOrigin + performance.now()); // in case it comes before "go"
    }
  };
}

async function run(
  scope: WorkerScope,
  msg: Extract<ToBenchWorker, { type: "start" }>,
  started: Promise<number>,
  signal: AbortSignal,
): Promise<void> {
  const o = normalizeOptions({ ...msg.options, threads: 1 });
  const shared = new SharedCounters(msg.shared);
  const engine = makeEngine(o);
  const recorder = new Recorder(
    runInfo(o, engine),
    (n) => shared.claimDocumentLength(n),
  );
  const publish = () => shared.setProgress(msg.index, doneOf(recorder), recorder.failed);
  scope.postMessage({ type: "ready" });
  const start = (await started) - performance.timeOrigin;
  const limit = o.requests;
  const timedOut = await runLoad({
    engine,
    table: o.spec.table ?? null,
    recorder,
    concurrency: o.concurrency,
    start,
    rate: o.rate,
    timeoutSeconds: o.timeoutSeconds,
    claim: () => shared.claim(limit),
    signal,
    onTimeout: () => {
      shared.stop();
      scope.postMessage({ type: "timeout" });
    },
    onTick: publish,
  });
  publish();
  scope.postMessage({ type: "done", state: recorder.state(), timedOut });
}

if (isBenchWorkerScope() && import.meta.main) runBenchWorker();
