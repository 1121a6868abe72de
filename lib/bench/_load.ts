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
export async function runLoad(plan: LoadPlan): Promise<boolean> {
  const { engine, recorder, rate, signal } = plan;
  const table = plan.table ?? null;
  recorder.timeline.start(plan.start);
  const clients: EngineClient[] = [];
  const samples: Sample[] = [];
  // A request is in flight from the call to request() until it returns; request() sets
  // sample.start before its first await, so the watchdog (a timer) never sees a stale start.
  const inFlight: boolean[] = [];
  let stopped = signal.aborted;
  let timedOut = false;
  const timeoutMs = plan.timeoutSeconds * 1000;
  // Open-model clients waiting for their next due time; stopping wakes them at once.
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
  signal.addEventListener("abort", stop, { once: true });

  const watchEvery = Math.max(10, Math.min(250, timeoutMs / 4));
  let lastTick = performance.now();
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < clients.length; i++) {
      if (inFlight[i] && now - samples[i]!.start > timeoutMs) {
        inFlight[i] = false;
        clients[i]!.abort("timeout");
      }
    }
    if (plan.onTick && now - lastTick >= 250) {
      lastTick = now;
      plan.onTick(now);
    }
  }, watchEvery);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sleepers.delete(timer);
        resolve();
      }, ms);
      sleepers.set(timer, resolve);
    });

  // One client has nobody to run ahead of, and an epoll engine takes turns by itself.
  const turns = plan.concurrency > 1 && !engine.traits.fairTurns ? new Turns() : null;
  // A request that fails at once (a refused connect) can settle without the event loop turning;
  // failing in a row, a client would then never let the timers run (-t, the watchdog, Ctrl-C)
  const afterFailure = turns ?? new Turns();

  const loop = async (index: number): Promise<void> => {
    const client = clients[index]!;
    const s = samples[index]!;
    s.wantServer = true;
    let lastTurn = -1;
    while (!stopped) {
      if (turns !== null) {
        if (lastTurn === turns.turn) await turns.next();
        lastTurn = turns.turn;
        if (stopped) break;
      }
      const i = plan.claim();
      if (i === null) break;
      if (table !== null) {
        s.line = lineOf(table, i);
        s.bodyIndex = bodyOf(table, i, s.line);
      }
      if (rate !== null) {
        const due = plan.start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        if (stopped) break;
        s.intended = due;
      }
      inFlight[index] = true;
      await client.request(s);
      inFlight[index] = false;
      if (rate === null) s.intended = s.start;
      if (s.outcome === Outcome.Aborted) break;
      if (s.outcome === Outcome.Exception && s.cause === "timeout") {
        s.cause = `timeout: no response within ${plan.timeoutSeconds} s (-s)`;
        timedOut = true;
      }
      recorder.record(s);
      s.wantServer = recorder.serverSoftware === null;
      if (s.outcome !== Outcome.Complete) await afterFailure.next();
      if (timedOut) {
        plan.onTimeout();
        stop();
      }
    }
  };

  try {
    for (let i = 0; i < plan.concurrency; i++) {
      clients.push(engine.client());
      samples.push(newSample());
      inFlight.push(false);
    }
    // One client's exception stops the others before bench() rejects, and the connections close
    // only once every loop has returned.
    const ends = await Promise.allSettled(clients.map((_, i) =>
      loop(i).catch((err) => {
        stop();
        throw err;
      })
    ));
    const failed = ends.find((e) => e.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  } finally {
    clearInterval(watchdog);
    signal.removeEventListener("abort", stop);
    for (const c of clients) c.close();
    engine.close();
  }
  return timedOut;
}
