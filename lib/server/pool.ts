/**
 * `netlab pool`'s engine: a supervisor over Web Workers that each run the static handler. Kernel
 * dispatch lets every worker `Deno.serve` the same port with `reusePort` (Linux spreads the
 * connections); queue dispatch accepts on the main thread and hands requests to the least-busy
 * worker. Dead workers are replaced at once; a crash loop ends the pool with an error.
 *
 * @module
 */
import { startupBudgetMs } from "../runtime/startup.ts";
import { getLogger, type Logger } from "@logtape/logtape";
import { NetlabError } from "../errors.ts";
import { CrashLoop, startError } from "./_pool_deaths.ts";
import { reemit } from "./_pool_log.ts";
import { formatAddress } from "../runtime/address.ts";
import type { Listening } from "./_listener.ts";
import { counted } from "../runtime/text.ts";
import { listenForQueue, QueueDispatcher } from "./_pool_queue.ts";
import { workerConfig } from "./_pool_config.ts";
import { StartWaits } from "./_pool_start.ts";
import { type SlotEvents, WorkerSlot } from "./_pool_slot.ts";
import {
  defaultDispatch,
  defaultWorkerCount,
  type PoolOptions,
  type PoolSummary,
} from "./pool_options.ts";
import type { PoolDispatch, WorkerConfig } from "./pool_protocol.ts";

/** How long a worker may take to start listening. */
const READY_TIMEOUT_MS = 10_000;

/**
 * A supervised pool of Web Workers serving the static handler on one port. Ready once every
 * worker listens; a dead worker is replaced at once; `crashLimit` deaths within `crashWindowMs`
 * stop the pool and reject {@link WorkerPool.finished}. No global state: run as many as you like.
 *
 * @example Serve a directory on two workers, then stop
 * ```ts
 * import { WorkerPool } from "@netlab/netlab";
 *
 * const controller = new AbortController();
 * const pool = new WorkerPool({
 *   handler: { root: "./www", demoRoutes: true },
 *   workers: 2,
 *   port: 0,
 *   signal: controller.signal,
 * });
 * await pool.start();
 * const res = await fetch(`${pool.url}_netlab/work?ms=10`);
 * console.log(res.headers.get("x-netlab-worker"), await res.json());
 * controller.abort(); // drains every worker
 * const { workers } = await pool.finished;
 * console.log(workers.map((w) => `worker ${w.id}: ${w.served}`).join(", "));
 * ```
 *
 * @param options What to serve (`handler`: the static handler's options), `workers` (1 to 256,
 *   default: CPU count), `dispatch`, `hostname`, `port`, `cert`/`key` (PEM contents), `signal`,
 *   `logLevel`, `workerUrl` (the module each worker runs), `crashLimit`/`crashWindowMs` (default:
 *   5 deaths in 10 s), `drainTimeoutMs` (default: 10 s), `logger`.
 * @returns A pool; `start()` resolves once every worker listens, `stop()` drains them all.
 */
export class WorkerPool {
  #options: PoolOptions;
  #log: Logger;
  #dispatch: PoolDispatch;
  #slots: WorkerSlot[] = [];
  #queue: QueueDispatcher | undefined;
  #server: Listening | undefined;
  #hostname: string;
  #port = 0;
  #crashLoop: CrashLoop;
  #state: "idle" | "starting" | "running" | "stopping" | "stopped" = "idle";
  #startWaits = new StartWaits<WorkerSlot>();
  #finished = Promise.withResolvers<PoolSummary>();
  #stopping: Promise<PoolSummary> | undefined;

  /**
   * @param options what to serve, where, and on how many workers
   * @throws {RangeError} when `workers` is not an integer from 1 to 256
   */
  constructor(options: PoolOptions) {
    const workers = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw new RangeError(`Cannot start a pool of "${workers}" workers: use 1 to 256`);
    }
    this.#options = { ...options, workers };
    this.#log = options.logger ?? getLogger(["netlab", "pool"]);
    this.#dispatch = options.dispatch ?? defaultDispatch();
    this.#hostname = options.hostname ?? "127.0.0.1";
    this.#crashLoop = new CrashLoop(options.crashLimit ?? 5, options.crashWindowMs ?? 10_000);
    this.#finished.promise.catch(() => {}); // callers may never await it; a crash loop must not crash us
  }

  /** The HTTP engine the workers run: `epoll` only with kernel dispatch. */
  get engine(): "deno" | "epoll" {
    return this.#dispatch === "kernel" ? this.#options.engine ?? "deno" : "deno";
  }

  /** The dispatch mode in use. */
  get dispatch(): PoolDispatch {
    return this.#dispatch;
  }

  /** The address every worker serves (valid after {@link start}). */
  get addr(): Deno.NetAddr {
    return { transport: "tcp", hostname: this.#hostname, port: this.#port };
  }

  /** The base URL, e.g. `http://127.0.0.1:8000/` (valid after {@link start}). */
  get url(): string {
    const scheme = this.#options.cert !== undefined ? "https" : "http";
    return `${scheme}://${formatAddress(this.#hostname, this.#port)}/`;
  }

  /** The line logged once every worker listens (contains `listening on URL`). */
  readyLine(): string {
    return `ready: ${this.#slots.length} workers (${this.#dispatch} dispatch, engine ${this.engine}), listening on ${this.url}`;
  }

  /** Settles when the pool stops: with the summary, or with the reason of a crash loop. */
  get finished(): Promise<PoolSummary> {
    return this.#finished.promise;
  }

  /** Requests answered so far per seat (as last reported by the workers). */
  summary(): PoolSummary {
    return {
      workers: this.#slots.map((s) => ({ id: s.id, served: s.served, restarts: s.restarts })),
    };
  }

  /**
   * Starts every worker and logs the ready line.
   *
   * @returns the address served, once every worker listens
   * @throws {NetlabError} when the port is taken or a worker cannot start
   */
  async start(): Promise<Deno.NetAddr> {
    if (this.#state !== "idle") throw new Error("Cannot start a pool twice");
    this.#state = "starting";
    const count = this.#options.workers!;
    const events: SlotEvents = {
      ready: (slot, port) => this.#onReady(slot, port),
      died: (slot, reason, failure) => this.#onDeath(slot, reason, failure),
      message: (slot, msg) => {
        if (msg.type === "log") reemit(msg.record, slot.id);
        else this.#queue?.message(msg);
      },
    };
    const url = this.#options.workerUrl ?? new URL("./pool_worker.ts", import.meta.url);
    for (let id = 1; id <= count; id++) this.#slots.push(new WorkerSlot(id, url, events));
    try {
      if (this.#dispatch === "queue") {
        this.#queue = new QueueDispatcher(() => this.#slots);
        this.#server = listenForQueue(this.#options, this.#hostname, this.#queue.handle, this.#log);
        this.#port = (this.#server.addr as Deno.NetAddr).port;
        await Promise.all(this.#slots.map((s) => this.#startSlot(s)));
      } else {
        // The first worker finds the port (it may be 0); the others join it.
        const [first, ...rest] = this.#slots;
        await this.#startSlot(first!);
        await Promise.all(rest.map((s) => this.#startSlot(s)));
      }
    } catch (err) {
      await this.#teardown(1_000);
      this.#state = "stopped";
      throw err;
    }
    // A crash loop among workers that were already up ends start-up too.
    if (this.#state !== "starting") throw new NetlabError("Worker pool stopped while starting");
    this.#state = "running";
    this.#log.info(this.readyLine(), {
      url: this.url,
      workers: this.#slots.length,
      dispatch: this.#dispatch,
      engine: this.engine,
    });
    const signal = this.#options.signal;
    if (signal?.aborted) await this.stop();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
    return this.addr;
  }

  /**
   * Stops accepting, lets requests in flight finish, stops every worker and logs the requests
   * served per worker. Safe to call more than once.
   *
   * @returns the requests served per worker
   */
  stop(): Promise<PoolSummary> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Makes worker `id` throw an uncaught error, to watch the supervisor replace it. Deno prints a
   * worker's uncaught error whatever the supervisor does with it: the error carries no stack, so
   * that is one line, and the default message says it is expected.
   *
   * @param id the 1-based worker number
   * @param reason the error message the worker dies with
   */
  crashWorker(
    id: number,
    reason = "Crashed on purpose by WorkerPool.crashWorker() (expected in tests)",
  ): void {
    this.#slots[id - 1]?.post({ type: "crash", reason });
  }

  #onAbort = (): void => void this.stop();

  async #stop(): Promise<PoolSummary> {
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    // Also while starting: start() must not report a pool it no longer runs as ready.
    if (this.#state === "running" || this.#state === "starting") this.#state = "stopping";
    await this.#teardown(this.#options.drainTimeoutMs ?? 10_000);
    this.#state = "stopped";
    const summary = this.summary();
    const total = summary.workers.reduce((n, w) => n + w.served, 0);
    const per = summary.workers.map((w) =>
      `worker ${w.id} ${w.served}${w.restarts > 0 ? ` (${counted(w.restarts, "restart")})` : ""}`
    ).join(", ");
    this.#log.info(`Served ${counted(total, "request")}: ${per}`);
    this.#finished.resolve(summary);
    return summary;
  }

  async #teardown(
    drainTimeoutMs: number,
    why: Error = new NetlabError("Worker pool stopped while starting"),
  ): Promise<void> {
    // A start() still waiting for workers ends now (a drained worker never reports ready).
    this.#startWaits.failAll(why);
    // Queue dispatch: stop accepting and let answers in flight finish before the workers go, but
    // not forever (a client reading a large file very slowly).
    if (this.#server !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#server.shutdown(),
        new Promise((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    await Promise.all(this.#slots.map((s) => s.drain(drainTimeoutMs)));
    // Whatever is still waiting on a worker (only after a timeout) ends now, not never.
    for (const slot of this.#slots) this.#queue?.workerDied(slot, "the pool stopped");
  }

  #config(slot: WorkerSlot): WorkerConfig {
    const place = { dispatch: this.#dispatch, engine: this.engine, hostname: this.#hostname };
    return workerConfig(this.#options, { id: slot.id, ...place, port: this.#port });
  }

  #startSlot(slot: WorkerSlot): Promise<void> {
    // a loaded machine starts workers slowly: the default grows with the load per CPU
    const limit = this.#options.readyTimeoutMs ?? startupBudgetMs(READY_TIMEOUT_MS);
    return this.#startWaits.wait(slot, limit, () => slot.spawn(this.#config(slot)));
  }

  #onReady(slot: WorkerSlot, port: number): void {
    if (this.#dispatch === "kernel" && this.#port === 0) this.#port = port;
    this.#startWaits.ready(slot);
    this.#queue?.workerReady();
    if (this.#state === "running" && slot.restarts > 0) {
      this.#log.info(`Worker ${slot.id} replaced and ready`);
    }
  }

  #onDeath(slot: WorkerSlot, reason: string, failure?: { name: string; message: string }): void {
    this.#queue?.workerDied(slot, reason);
    if (this.#startWaits.has(slot) && this.#state === "starting") {
      const port = this.#port || (this.#options.port ?? 0);
      this.#startWaits.fail(
        slot,
        startError({ hostname: this.#hostname, port }, slot.id, reason, failure),
      );
      return;
    }
    if (this.#state !== "running" && this.#state !== "starting") return;
    const error = this.#crashLoop.record(Date.now(), `worker ${slot.id}: ${reason}`);
    if (error !== undefined) {
      this.#log.error(error.message);
      this.#state = "stopping";
      this.#stopping = this.#teardown(1_000, error).then(() => {
        this.#state = "stopped";
        this.#finished.reject(error);
        return this.summary();
      });
      return;
    }
    this.#log.warn(`Worker ${slot.id} died (${reason}); starting a replacement`);
    slot.restarts++;
    slot.spawn(this.#config(slot));
  }
}
