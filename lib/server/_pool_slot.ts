/**
 * One seat in the pool: a Web Worker and its replacements. The slot keeps its number and its
 * request count across generations, so the exit summary reads per seat.
 *
 * @module
 */
import { Outbox } from "./_pool_outbox.ts";
import { reapWhenGone } from "../loop/reap.ts";
import {
  type FromWorker,
  POOL_WORKER_NAME,
  type ToWorker,
  type WorkerConfig,
} from "./pool_protocol.ts";

/** What a slot tells its pool. */
export interface SlotEvents {
  /** Listening (kernel) or ready for requests (queue). */
  ready(slot: WorkerSlot, port: number): void;
  /** The worker died or could not start; it is already terminated. */
  died(slot: WorkerSlot, reason: string, failure?: { name: string; message: string }): void;
  /** Any other message (queue dispatch traffic, logs). */
  message(slot: WorkerSlot, msg: FromWorker): void;
}

/** Where a slot's current worker is in its life. */
export type SlotState = "starting" | "ready" | "draining" | "dead";

/** A worker seat. */
export class WorkerSlot {
  /** 1-based seat number, shown in logs and the `x-netlab-worker` header. */
  readonly id: number;
  state: SlotState = "dead";
  /** Queue dispatch: requests handed over and not yet fully answered. */
  inflight = 0;
  /** How many times this seat's worker was replaced. */
  restarts = 0;
  #url: string | URL;
  #events: SlotEvents;
  #worker: Worker | undefined;
  #outbox: Outbox<ToWorker> | undefined;
  #servedBefore = 0;
  #servedNow = 0;
  #stopped: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  /** The worker's epoll loop while it runs one: its sockets outlive the worker unless reaped. */
  #epollFd: number | undefined;
  /** The worker's thread, reaped after it is gone. */
  #thread: number | undefined;
  /** The reaping of the last dead worker's loop, until it is done. */
  #reaping: Promise<unknown> = Promise.resolve();

  constructor(id: number, url: string | URL, events: SlotEvents) {
    this.id = id;
    this.#url = url;
    this.#events = events;
  }

  /** Requests answered by every generation of this seat's worker (as last reported). */
  get served(): number {
    return this.#servedBefore + this.#servedNow;
  }

  /** Starts a (new) worker with `config`. */
  spawn(config: WorkerConfig): void {
    this.#servedBefore += this.#servedNow;
    this.#servedNow = 0;
    const worker = new Worker(this.#url, { type: "module", name: POOL_WORKER_NAME });
    this.#worker = worker;
    this.#outbox = new Outbox((batch, transfer) => worker.postMessage(batch, transfer));
    this.#draining = undefined;
    this.state = "starting";
    worker.onmessage = (event: MessageEvent<FromWorker[]>) => {
      for (const msg of event.data) {
        if (this.#worker !== worker) return;
        this.#onMessage(msg);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault(); // keep the supervisor alive: a worker's uncaught error is ours to handle
      if (this.#worker === worker) this.#die(event.message || "uncaught error");
    };
    worker.onmessageerror = () => {
      if (this.#worker === worker) this.#die("a message could not be deserialised");
    };
    this.post({ type: "init", config });
  }

  /** Sends a message to the current worker. */
  post(msg: ToWorker, transfer?: Transferable[]): void {
    this.#outbox?.push(msg, transfer);
  }

  /**
   * Asks the worker to finish its requests and stop; terminates it after `timeoutMs` anyway. A
   * second call while draining joins the first (whose resolver it would otherwise replace).
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.#worker === undefined || this.state === "dead") return this.#reaped();
    this.#draining ??= this.#drain(timeoutMs);
    return this.#draining;
  }

  async #drain(timeoutMs: number): Promise<void> {
    this.state = "draining";
    const stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    this.post({ type: "drain" });
    await Promise.race([stopped, timeout]);
    clearTimeout(timer);
    this.terminate();
    await this.#reaped();
  }

  /** Resolves once the last dead worker's loop is reaped (or left, its thread never gone). */
  async #reaped(): Promise<void> {
    await this.#reaping;
  }

  /** Stops the worker at once. */
  terminate(): void {
    this.#worker?.terminate();
    if (this.#epollFd !== undefined) {
      // it never stopped its loop: close its listener and clients, or the kernel keeps handing
      // connections to a socket nobody accepts on; but only once its thread is gone, which
      // terminate() does not wait for
      this.#reaping = reapWhenGone(this.#thread, this.#epollFd);
      this.#epollFd = this.#thread = undefined;
    }
    this.#worker = undefined;
    this.#outbox = undefined;
    this.state = "dead";
    this.#stopped?.();
    this.#stopped = undefined;
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "ready":
        this.#epollFd = msg.epollFd;
        this.#thread = msg.thread;
        this.state = "ready";
        this.#events.ready(this, msg.port);
        return;
      case "failed":
        this.#die(`${msg.name}: ${msg.message}`, { name: msg.name, message: msg.message });
        return;
      case "served":
        this.#servedNow = msg.total;
        return;
      case "stopped":
        this.#epollFd = this.#thread = undefined; // closed by the worker itself
        this.#servedNow = msg.total;
        this.#stopped?.();
        return;
      default:
        this.#events.message(this, msg);
    }
  }

  #die(reason: string, failure?: { name: string; message: string }): void {
    const wasDraining = this.state === "draining";
    this.terminate();
    if (!wasDraining) this.#events.died(this, reason, failure);
  }
}
