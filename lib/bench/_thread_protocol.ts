/**
 * What the bench's main thread and its load workers say to each other, and the shared memory they
 * count in: one claim counter (so exactly `requests` are sent, and request i is due at start + i/rate
 * whichever thread sends it), the run's Document Length, a stop flag, and each worker's progress.
 *
 * @module
 */
import type { BenchOptions } from "./run.ts";
import type { RecorderState } from "./recorder.ts";

/** Name the bench gives its workers; main.ts runs the worker loop when it finds itself so named. */
export const BENCH_WORKER_NAME = "netlab-bench-worker";

/** Main thread to worker. */
export type ToBenchWorker =
  | {
    type: "start";
    /** This worker's options: its share of the connections, the whole run's requests and rate. */
    options: BenchOptions;
    shared: SharedArrayBuffer;
    /** This worker's slot in the progress counters. */
    index: number;
  }
  /** Every worker is ready: start at this time (performance.timeOrigin + now, in ms). */
  | { type: "go"; startEpoch: number }
  | { type: "stop" };

/** Worker to main thread. */
export type FromBenchWorker =
  | { type: "ready" }
  /** A request hit the timeout (-s): the whole run ends. */
  | { type: "timeout" }
  | { type: "done"; state: RecorderState; timedOut: boolean }
  | { type: "failed"; message: string };

/** Views over the shared memory of one threaded run. */
export class SharedCounters {
  readonly buffer: SharedArrayBuffer;
  /** [0]: next request index; [1]: Document Length, -1 until the first complete response. */
  #big: BigInt64Array;
  /** [0]: 1 once the run must stop. */
  #flags: Int32Array;
  /** done, failed per worker (plain stores: progress only). */
  #progress: Float64Array;

  constructor(bufferOrWorkers: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrWorkers === "number"
      ? new SharedArrayBuffer(16 + 8 + 16 * bufferOrWorkers)
      : bufferOrWorkers;
    this.#big = new BigInt64Array(this.buffer, 0, 2);
    this.#flags = new Int32Array(this.buffer, 16, 2);
    this.#progress = new Float64Array(this.buffer, 24);
    if (typeof bufferOrWorkers === "number") Atomics.store(this.#big, 1, -1n);
  }

  /** Claims the next request index; null once `limit` are claimed or the run stopped. */
  claim(limit: number): number | null {
    if (Atomics.load(this.#flags, 0) === 1) return null;
    const i = Number(Atomics.add(this.#big, 0, 1n));
    return i < limit ? i : null;
  }

  /** The run's Document Length: the first body length offered wins. */
  claimDocumentLength(bodyBytes: number): number {
    const prev = Atomics.compareExchange(this.#big, 1, -1n, BigInt(bodyBytes));
    return prev === -1n ? bodyBytes : Number(prev);
  }

  stop(): void {
    Atomics.store(this.#flags, 0, 1);
  }

  setProgress(index: number, done: number, failed: number): void {
    this.#progress[index * 2] = done;
    this.#progress[index * 2 + 1] = failed;
  }

  /** Sum of every worker's last published progress. */
  progress(): { done: number; failed: number } {
    let done = 0;
    let failed = 0;
    for (let i = 0; i < this.#progress.length; i += 2) {
      done += this.#progress[i]!;
      failed += this.#progress[i + 1]!;
    }
    return { done, failed };
  }
}
