/**
 * The supervisor's half of queue dispatch: the main thread accepts every connection and hands each
 * request to the least-busy worker (method, URL and headers; never the body, which the static
 * handler does not read, so a large upload is refused without being held in memory), then turns
 * the worker's answer back into a `Response`. Streamed bodies are pulled a chunk at a time, so a
 * slow client holds back the worker instead of filling the main thread's memory.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { listenError } from "../errors.ts";
import { listen, type Listening } from "./_listener.ts";
import type { WorkerSlot } from "./_pool_slot.ts";
import type { PoolOptions } from "./pool_options.ts";
import { type FromWorker, headerPairs } from "./pool_protocol.ts";

/** Chunks of a streamed body fetched ahead of the client. */
const PREFETCH_CHUNKS = 4;
/** How long a request waits for a worker when none is ready (all restarting). */
export const NO_WORKER_TIMEOUT_MS = 5_000;

interface Pending {
  slot: WorkerSlot;
  /** Until the head arrives: answers the client. */
  head?: (res: Response) => void;
  /** A streamed body, kept from the start so a dead worker can cut it even when no pull waits. */
  body?: ReadableStreamDefaultController<Uint8Array>;
  /** The pull waiting for the worker's next chunk. */
  pulled?: () => void;
}

/** Routes requests from the main thread's server to worker slots. */
export class QueueDispatcher {
  #slots: () => readonly WorkerSlot[];
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #rotate = 0;
  #readyWaiters = new Set<() => void>();
  #noWorkerTimeoutMs: number;

  /**
   * @param slots the pool's current seats
   * @param noWorkerTimeoutMs how long a request waits for a ready worker before a 503
   */
  constructor(slots: () => readonly WorkerSlot[], noWorkerTimeoutMs = NO_WORKER_TIMEOUT_MS) {
    this.#slots = slots;
    this.#noWorkerTimeoutMs = noWorkerTimeoutMs;
  }

  /** Requests waiting for a worker to become ready. */
  get waiting(): number {
    return this.#readyWaiters.size;
  }

  /** The `Deno.serve` handler. */
  handle = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const slot = this.#leastBusy() ?? await this.#waitForWorker();
    if (slot === undefined) return new Response("No worker available\n", { status: 503 });
    const id = this.#nextId++;
    const remote = info.remoteAddr as Deno.NetAddr;
    const answer = new Promise<Response>((resolve) =>
      this.#pending.set(id, { slot, head: resolve })
    );
    slot.inflight++;
    slot.post({
      type: "request",
      id,
      method: req.method,
      url: req.url,
      headers: headerPairs(req.headers),
      remote: { hostname: remote.hostname, port: remote.port },
    });
    return await answer;
  };

  /** A worker became ready: wake requests waiting for one. */
  workerReady(): void {
    const waiters = [...this.#readyWaiters];
    this.#readyWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** A worker's message about one of our requests. */
  message(msg: FromWorker): void {
    if (msg.type === "head") {
      const pending = this.#pending.get(msg.id);
      if (pending?.head === undefined) return;
      const init = { status: msg.status, statusText: msg.statusText, headers: msg.headers };
      if (!msg.more) {
        this.#finish(msg.id, pending);
        pending.head(new Response(msg.body, init));
        return;
      }
      const resolve = pending.head;
      delete pending.head;
      resolve(new Response(this.#stream(msg.id, pending), init));
    } else if (msg.type === "chunk") {
      const pending = this.#pending.get(msg.id);
      const pulled = pending?.pulled;
      if (pending === undefined || pulled === undefined) return;
      delete pending.pulled;
      if (msg.done) {
        this.#finish(msg.id, pending);
        pending.body?.close();
      } else if (msg.data !== null) {
        pending.body?.enqueue(msg.data);
      }
      pulled();
    }
  }

  /** A worker died: answer what it had not answered, cut what it was streaming. */
  workerDied(slot: WorkerSlot, reason: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.slot !== slot) continue;
      this.#finish(id, pending);
      pending.head?.(new Response(`Worker ${slot.id} died: ${reason}\n`, { status: 502 }));
      pending.body?.error(new Error(`Worker ${slot.id} died: ${reason}`));
      pending.pulled?.();
    }
    slot.inflight = 0;
  }

  #stream(id: number, pending: Pending): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        pending.body = controller;
      },
      pull: () =>
        new Promise<void>((done) => {
          if (!this.#pending.has(id)) return done();
          pending.pulled = done;
          pending.slot.post({ type: "pull", id });
        }),
      cancel: () => {
        if (!this.#pending.has(id)) return;
        this.#finish(id, pending);
        pending.slot.post({ type: "cancel", id });
      },
    }, { highWaterMark: PREFETCH_CHUNKS });
  }

  #finish(id: number, pending: Pending): void {
    if (this.#pending.delete(id)) pending.slot.inflight--;
  }

  #leastBusy(): WorkerSlot | undefined {
    const slots = this.#slots();
    let best: WorkerSlot | undefined;
    // Start from a rotating index so equally idle workers share the load.
    const start = this.#rotate++ % Math.max(slots.length, 1);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[(start + i) % slots.length]!;
      if (slot.state !== "ready") continue;
      if (best === undefined || slot.inflight < best.inflight) best = slot;
    }
    return best;
  }

  async #waitForWorker(): Promise<WorkerSlot | undefined> {
    const until = Date.now() + this.#noWorkerTimeoutMs;
    while (Date.now() < until) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#readyWaiters.add(resolve);
      const timer = setTimeout(resolve, until - Date.now());
      await promise;
      clearTimeout(timer);
      // woken by the timer, the waiter is still listed: a long outage must not pile them up
      this.#readyWaiters.delete(resolve);
      const slot = this.#leastBusy();
      if (slot !== undefined) return slot;
    }
    return undefined;
  }
}

/**
 * Listens on the pool's port on the main thread, for queue dispatch: `handle` passes each request
 * to a worker; an unexpected error becomes a 500 and is logged.
 *
 * @throws {NetlabError} when the port is taken
 */
export function listenForQueue(
  options: PoolOptions,
  hostname: string,
  handle: Deno.ServeHandler<Deno.NetAddr>,
  log: Logger,
): Listening {
  const { cert, key } = options;
  try {
    // out of descriptors, the supervisor listens again rather than ending the pool
    return listen(
      {
        hostname,
        port: options.port ?? 0,
        ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
        onError: (err) => {
          log.error("Unexpected error: {error}", { error: err });
          return new Response("500 Internal Server Error\n", { status: 500 });
        },
      },
      handle,
      log,
    );
  } catch (err) {
    throw listenError(hostname, options.port ?? 0, err);
  }
}
