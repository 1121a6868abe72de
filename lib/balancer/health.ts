/**
 * Active health checks: every interval, a TCP connect to each backend. A backend goes down after
 * `fall` failed checks in a row and comes back after `rise` good ones; each change is logged as a
 * warning, so it shows under `--quiet` too.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { connectWithTimeout } from "./_connect.ts";
import type { Backend } from "./backend.ts";
import { outOfDescriptors, OverloadLog } from "./engines/_overload.ts";

/** Options for {@linkcode HealthChecker}. */
export interface HealthOptions {
  /** Milliseconds between rounds. */
  intervalMs: number;
  /** Connect timeout per check in milliseconds. */
  timeoutMs: number;
  /** Good checks in a row that bring a down backend back. @default {2} */
  rise?: number;
  /** Failed checks in a row that take an up backend out. @default {3} */
  fall?: number;
  /** Where state changes are logged. */
  logger: Logger;
  /**
   * The check itself, when it is more than a TCP connect (the http mode's `GET /health`):
   * resolves when the backend is well, rejects with why not.
   */
  probe?: (backend: Backend, timeoutMs: number) => Promise<void>;
}

/**
 * Runs health-check rounds over a fixed set of backends until stopped.
 *
 * @param backends The balancer's backends (their `state` is updated in place).
 * @param options `intervalMs`, `timeoutMs`, `rise` @default 2, `fall` @default 3, `logger`.
 * @returns A checker; `start()` it, `await stop()` it.
 *
 * @example
 * ```ts ignore
 * import { Backend, HealthChecker } from "@netlab/netlab/balancer";
 * import { getLogger } from "@logtape/logtape";
 *
 * const backends = [new Backend({ host: "127.0.0.1", port: 9002, weight: 1 })];
 * const checker = new HealthChecker(backends, { intervalMs: 2000, timeoutMs: 1000, logger: getLogger(["app"]) });
 * await checker.checkAll();
 * console.log(backends[0].state);
 * ```
 */
export class HealthChecker {
  #backends: readonly Backend[];
  #options: HealthOptions;
  #rise: number;
  #fall: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;
  #overload: OverloadLog;

  constructor(backends: readonly Backend[], options: HealthOptions) {
    this.#backends = backends;
    this.#options = options;
    this.#overload = new OverloadLog(options.logger);
    this.#rise = options.rise ?? 2;
    this.#fall = options.fall ?? 3;
  }

  /** Starts the rounds; the first runs after one interval. */
  start(): void {
    this.#schedule();
  }

  /** Stops scheduling and waits for a running round to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
    this.#overload.close();
  }

  /**
   * Marks a backend down at once (the engines call it after `fall` client connects to it failed
   * in a row); it returns only after `rise` good checks, like any backend that failed its checks.
   */
  markDown(backend: Backend, reason: string): void {
    backend.goodChecks = 0;
    if (backend.state === "down") return;
    backend.state = "down";
    this.#options.logger.warn(`backend ${backend.address} is down: ${reason}`, {
      backend: backend.address,
      state: "down",
      reason,
    });
  }

  /** Runs one round now (also used by tests). */
  async checkAll(): Promise<void> {
    await Promise.all(this.#backends.map((b) => this.#check(b)));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.checkAll().finally(() => this.#schedule());
    }, this.#options.intervalMs);
  }

  async #check(backend: Backend): Promise<void> {
    let failure: string | undefined;
    try {
      const { probe, timeoutMs } = this.#options;
      if (probe) await probe(backend, timeoutMs);
      else (await connectWithTimeout(backend.host, backend.port, timeoutMs)).close();
    } catch (err) {
      if (outOfDescriptors(err)) {
        // our shortage says nothing about the backend: not held against it
        const why = (err as Error).message;
        this.#overload.note(
          `health checks not counted: the balancer is out of descriptors (${why})`,
        );
        return;
      }
      // any failure to connect is a failed check; a health check must never stop the balancer
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.#stopped) return;
    const log = this.#options.logger;
    if (failure === undefined) {
      backend.badChecks = 0;
      backend.goodChecks++;
      if (backend.state === "down" && backend.goodChecks >= this.#rise) {
        backend.state = "up";
        backend.connectFailures = 0;
        // a warning like "is down", so a --quiet log that shows a backend leave shows it return
        log.warn(`backend ${backend.address} is up: ${backend.goodChecks} good health checks`, {
          backend: backend.address,
          state: "up",
        });
      }
      return;
    }
    backend.goodChecks = 0;
    backend.badChecks++;
    backend.failures++;
    if (backend.state === "up" && backend.badChecks >= this.#fall) {
      backend.state = "down";
      log.warn(
        `backend ${backend.address} is down: ${backend.badChecks} failed health checks (${failure})`,
        { backend: backend.address, state: "down", reason: failure },
      );
    }
  }
}
