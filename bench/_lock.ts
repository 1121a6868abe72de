/**
 * The machine-wide perf lock: every load measurement on the shared machine runs while holding
 * `/tmp/netlab-perf.lock`, so two jobs never load the cores at once. Every perf section takes it
 * per load (other jobs run between its loads) with flock(2), the same lock
 * `flock /tmp/netlab-perf.lock CMD` takes: `deno task perf` must not be run under that command, or
 * it waits for itself.
 *
 * @module
 */

/** The lock every load measurement on the machine runs under. */
export const PERF_LOCK = "/tmp/netlab-perf.lock";

/** An exclusive flock(2) on one file, taken around each load, that counts the time spent waiting. */
export class PerfLock {
  readonly #path: string;
  #waitedMs = 0;

  /** @param path the lock file, created if missing */
  constructor(path: string = PERF_LOCK) {
    this.#path = path;
  }

  /** Milliseconds spent so far waiting for others to release the lock. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /** Runs `fn` holding the lock, released when `fn` settles (or the process ends). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    using file = await Deno.open(this.#path, { read: true, write: true, create: true });
    const asked = performance.now();
    await file.lock(true);
    this.#waitedMs += performance.now() - asked;
    // closing the file (at the end of this scope) releases the lock, however `fn` ends
    return await fn();
  }
}
