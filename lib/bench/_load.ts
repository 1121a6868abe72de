/**
 * The request loop one thread runs: `concurrency` clients, each sending its next request when the
 * previous one is done (closed model) or when it is due (open model). Which request comes next is
 * asked of `claim()`, so several threads can share one exact count and one schedule.
 *
 * @module
 */
import { type Engine, type EngineClient, newSample, Outcome, type Sample } from "./engine.ts";
import type { Recorder } from "./recorder.ts";
import { setImmediate } from "node:timers";
import { bodyOf, lineOf, type RequestTable } from "./request_table.ts";

/**
 * Turns of the event loop, as the clients see them. A client whose next response is already
 * waiting in the socket gets it without the event loop turning (Deno completes such a read at
 * once), so at high concurrency a few clients could loop ahead while the rest wait for seconds, and
 * the percentiles would describe bench's scheduling instead of the server. Like wrk's epoll loop,
 * which serves each ready connection once per wake-up, a client makes at most one request per turn:
 * having done one, it waits for the next turn, which one setImmediate (a few microseconds, shared
 * by every waiting client; setTimeout(0) is clamped to 4 ms) brings after the loop has polled I/O.
 */
class Turns {
  turn = 0;
  #next: Promise<void> | null = null;
  #advance = () => {
    this.turn++;
    this.#next = null;
  };

  /** Resolves once the event loop has turned. */
  next(): Promise<void> {
    return this.#next ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#advance();
        resolve();
      })
    );
  }
}

/** What one thread's loop needs to know and whom it tells. */
export interface LoadPlan {
  engine: Engine;
  recorder: Recorder;
  /** Clients (connections) on this thread. */
  concurrency: number;
  /** performance.now() (this thread's clock) when the run started. */
  start: number;
  /** Open model: requests per second across all threads, or null. */
  rate: number | null;
  timeoutSeconds: number;
  /** Index of the next request to send, or null when none is left; request i is due at start + i/rate. */
  claim(): number | null;
  /** Aborted when the run must stop (time limit, Ctrl-C, another thread's timeout). */
  signal: AbortSignal;
  /** A request hit the timeout (-s): the caller ends the whole run. */
  onTimeout(): void;
  /** Called about every 250 ms, for progress. */
  onTick?: (now: number) => void;
  /** Many requests: which line and body request i sends. */
  table?: RequestTable | null;
}

/** Runs the loop until the requests run out or the signal stops it; resolves to "timed out". */
export function runLoad(plan: LoadPlan): Promise<boolean> {
  return new LoadLoop(plan).run();
}

/** One run of one thread's clients: their samples, the watchdog, the sleepers and the stop. */
class LoadLoop {
  readonly #plan: LoadPlan;
  readonly #table: RequestTable | null;
  readonly #clients: EngineClient[] = [];
  readonly #samples: Sample[] = [];
  // A request is in flight from the call to request() until it returns; request() sets
  // sample.start before its first await, so the watchdog (a timer) never sees a stale start.
  readonly #inFlight: boolean[] = [];
  // Open-model clients waiting for their next due time; stopping wakes them at once.
  readonly #sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  // One client has nobody to run ahead of, and an epoll engine takes turns by itself.
  readonly #turns: Turns | null;
  // A request that fails at once (a refused connect) can settle without the event loop turning;
  // failing in a row, a client would then never let the timers run (-t, the watchdog, Ctrl-C)
  readonly #afterFailure: Turns;
  readonly #timeoutMs: number;
  #stopped: boolean;
  #timedOut = false;
  #lastTick = performance.now();

  constructor(plan: LoadPlan) {
    this.#plan = plan;
    this.#table = plan.table ?? null;
    this.#stopped = plan.signal.aborted;
    this.#timeoutMs = plan.timeoutSeconds * 1000;
    this.#turns = plan.concurrency > 1 && !plan.engine.traits.fairTurns ? new Turns() : null;
    this.#afterFailure = this.#turns ?? new Turns();
  }

  readonly #stop = (): void => {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of this.#clients) c.abort("stop");
    for (const [timer, wake] of this.#sleepers) {
      clearTimeout(timer);
      wake();
    }
    this.#sleepers.clear();
  };

  async run(): Promise<boolean> {
    const { engine, recorder, signal } = this.#plan;
    recorder.timeline.start(this.#plan.start);
    signal.addEventListener("abort", this.#stop, { once: true });
    const every = Math.max(10, Math.min(250, this.#timeoutMs / 4));
    const watchdog = setInterval(() => this.#watch(), every);
    try {
      for (let i = 0; i < this.#plan.concurrency; i++) {
        this.#clients.push(engine.client());
        this.#samples.push(newSample());
        this.#inFlight.push(false);
      }
      // One client's exception stops the others before bench() rejects, and the connections
      // close only once every loop has returned.
      const ends = await Promise.allSettled(
        this.#clients.map((_, i) =>
          this.#loop(i).catch((err) => {
            this.#stop();
            throw err;
          })
        ),
      );
      const failed = ends.find((e) => e.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener("abort", this.#stop);
      for (const c of this.#clients) c.close();
      engine.close();
    }
    return this.#timedOut;
  }

  /** Aborts the requests past the timeout (-s), and ticks the progress about every 250 ms. */
  #watch(): void {
    const now = performance.now();
    for (let i = 0; i < this.#clients.length; i++) {
      if (this.#inFlight[i] && now - this.#samples[i]!.start > this.#timeoutMs) {
        this.#inFlight[i] = false;
        this.#clients[i]!.abort("timeout");
      }
    }
    if (this.#plan.onTick && now - this.#lastTick >= 250) {
      this.#lastTick = now;
      this.#plan.onTick(now);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#sleepers.delete(timer);
        resolve();
      }, ms);
      this.#sleepers.set(timer, resolve);
    });
  }

  async #loop(index: number): Promise<void> {
    const rate = this.#plan.rate;
    const client = this.#clients[index]!;
    const s = this.#samples[index]!;
    const turns = this.#turns;
    s.wantServer = true;
    let lastTurn = -1;
    while (!this.#stopped) {
      if (turns !== null) {
        if (lastTurn === turns.turn) await turns.next();
        lastTurn = turns.turn;
        if (this.#stopped) break;
      }
      const i = this.#plan.claim();
      if (i === null) break;
      if (this.#table !== null) {
        s.line = lineOf(this.#table, i);
        s.bodyIndex = bodyOf(this.#table, i, s.line);
      }
      if (rate !== null) {
        const due = this.#plan.start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await this.#sleep(wait);
        if (this.#stopped) break;
        s.intended = due;
      }
      this.#inFlight[index] = true;
      await client.request(s);
      this.#inFlight[index] = false;
      if (rate === null) s.intended = s.start;
      if (s.outcome === Outcome.Aborted) break;
      this.#record(s);
      if (s.outcome !== Outcome.Complete) await this.#afterFailure.next();
      if (this.#timedOut) {
        this.#plan.onTimeout();
        this.#stop();
      }
    }
  }

  #record(s: Sample): void {
    if (s.outcome === Outcome.Exception && s.cause === "timeout") {
      s.cause = `timeout: no response within ${this.#plan.timeoutSeconds} s (-s)`;
      this.#timedOut = true;
    }
    const recorder = this.#plan.recorder;
    recorder.record(s);
    s.wantServer = recorder.serverSoftware === null;
  }
}
