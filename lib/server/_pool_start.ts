/**
 * The supervisor's start-up waits: one per worker being started, settled by its ready message,
 * its death or a time limit.
 *
 * @module
 */
import { NetlabError } from "../errors.ts";

/** The start-up waits of one pool, keyed by the worker being started. */
export class StartWaits<K extends { id: number }> {
  #waiters = new Map<K, { resolve: () => void; reject: (e: unknown) => void }>();

  /**
   * Waits for `worker` to report ready, `limitMs` at most; `spawn` starts it.
   *
   * @returns settles when the worker is ready; rejects on its death or the time limit
   */
  wait(worker: K, limitMs: number, spawn: () => void): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => reject(new NetlabError(`Worker ${worker.id} did not start within ${limitMs} ms`)),
      limitMs,
    );
    this.#waiters.set(worker, { resolve, reject });
    spawn();
    return promise.finally(() => {
      clearTimeout(timer);
      this.#waiters.delete(worker);
    });
  }

  /** Whether a start-up wait for `worker` is pending. */
  has(worker: K): boolean {
    return this.#waiters.has(worker);
  }

  /** Ends the wait for `worker` (if any) as ready. */
  ready(worker: K): void {
    this.#waiters.get(worker)?.resolve();
  }

  /** Ends the wait for `worker` (if any) with `why`. */
  fail(worker: K, why: unknown): void {
    this.#waiters.get(worker)?.reject(why);
  }

  /** Ends every pending wait with `why`. */
  failAll(why: unknown): void {
    for (const waiter of this.#waiters.values()) waiter.reject(why);
  }
}
