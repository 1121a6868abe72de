/**
 * Backend choice, as both engines make it: which backends a connection may try, and what a
 * connect's outcome does to a backend. Passive marking is HAProxy's `observe layer4`: only a
 * connect that was refused, found no route or timed out counts against a backend, and it goes
 * down after `fall` of them in a row; any connect that succeeds clears the count. What happens
 * after the connect (a client's garbage, its reset, a backend's answer-then-close or reset) is
 * never held against a backend: it says nothing about whether the backend is up.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import type { SessionContext } from "./frontend.ts";

/**
 * The backends a connection may try now: up and not tried yet, in configured order. The first
 * attempt with every backend up (the common case) allocates nothing.
 */
export function candidates(
  ctx: SessionContext,
  tried: readonly Backend[] | undefined,
): readonly Backend[] {
  const { backends } = ctx;
  if (tried === undefined) {
    let allUp = true;
    for (let i = 0; i < backends.length; i++) {
      if (backends[i]!.state !== "up") {
        allUp = false;
        break;
      }
    }
    if (allUp) return backends;
  }
  return backends.filter((b) => b.state === "up" && !tried?.includes(b));
}

/**
 * One client connection's tries at backends: which one comes next (up, not tried yet, at most
 * `retries` more after the first) and what the client is told once none is left. The first try
 * allocates nothing but this object.
 */
export class Attempts {
  /** The backend of the latest try. */
  backend: Backend | undefined = undefined;
  /** Why no backend took the connection, for its "no backend" line. */
  lastError = "no backend is up";
  #tried: Backend[] | undefined = undefined;
  #count = 0;

  /** The next backend the strategy picks, or undefined once the retries or the backends ran out. */
  next(ctx: SessionContext, clientHost: string): Backend | undefined {
    if (this.#count > ctx.settings.retries) return undefined;
    const backend = ctx.strategy.pick(candidates(ctx, this.#tried), clientHost);
    if (backend === undefined) return undefined;
    if (this.#count++ > 0) (this.#tried ??= [this.backend!]).push(backend);
    this.backend = backend;
    return backend;
  }

  /** The latest try's connect failed (refused, unreachable, timed out): see connectFailed(). */
  failed(ctx: SessionContext, from: string, message: string): void {
    const backend = this.backend!;
    this.lastError = `${backend.address}: ${message}`;
    connectFailed(ctx, backend, from, message);
  }
}

/** A connect to `backend` succeeded: its run of failed connects is over. */
export function connectSucceeded(backend: Backend): void {
  backend.connectFailures = 0;
}

/**
 * Notes and logs a failed connect (refused, unreachable, timed out) to `backend`. With health
 * checks on, `fall` of them in a row take it out until `rise` good checks bring it back.
 */
export function connectFailed(
  ctx: SessionContext,
  backend: Backend,
  from: string,
  message: string,
): void {
  backend.failures++;
  backend.connectFailures++;
  ctx.log.warn(`cannot connect to ${backend.address} for ${from}: ${message}`, {
    client: from,
    backend: backend.address,
  });
  const { healthIntervalMs, healthFall } = ctx.settings;
  if (healthIntervalMs > 0 && backend.connectFailures >= healthFall) {
    ctx.health.markDown(
      backend,
      `${backend.connectFailures} connects in a row failed (last: ${message})`,
    );
  }
}
