/**
 * What the supervisor decides when a worker dies: during start-up, why the pool cannot start;
 * afterwards, whether this death completes a crash loop.
 *
 * @module
 */
import { listenError, NetlabError } from "../errors.ts";

/** Counts deaths in a sliding window. */
export class CrashLoop {
  #limit: number;
  #windowMs: number;
  #deaths: number[] = [];

  /**
   * @param limit deaths that make a loop
   * @param windowMs within this many milliseconds
   */
  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a death at `now`; returns the error that ends the pool if this one closes a loop. */
  record(now: number, last: string): NetlabError | undefined {
    this.#deaths = [...this.#deaths.filter((t) => now - t < this.#windowMs), now];
    if (this.#deaths.length < this.#limit) return undefined;
    return new NetlabError(
      `Worker pool stopped: workers died ${this.#deaths.length} times within ${
        this.#windowMs / 1000
      } s (last: ${last})`,
    );
  }
}

/** A worker's start-up failure as the one-line error users expect (e.g. the port is taken). */
export function startError(
  where: { hostname: string; port: number },
  workerId: number,
  reason: string,
  failure?: { name: string; message: string },
): unknown {
  if (failure !== undefined) {
    const errors = Deno.errors as unknown as Record<string, new (m: string) => Error>;
    const err = new (errors[failure.name] ?? Error)(failure.message);
    const mapped = listenError(where.hostname, where.port, err);
    if (mapped !== err) return mapped;
  }
  return new NetlabError(`Worker ${workerId} could not start: ${reason}`);
}
