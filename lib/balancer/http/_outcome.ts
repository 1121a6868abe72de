/**
 * What a request on a client connection came to, whatever served it: the request line, the
 * backend it is counted against while in flight, its status, bytes and time; the log line and the
 * counters that record it; and the checks that take a failing backend out (a failed connect at
 * once, 10 failed responses in a row). `Upstream` (`_upstream.ts`) extends it.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { describeConnectError } from "../_connect.ts";
import { errnoError } from "../../loop/mod.ts";
import type { ConnPool } from "./_backend_conn.ts";
import { answer } from "./_answers.ts";
import { ClientSide } from "./_client.ts";

/** Failed responses in a row that take a backend out (HAProxy's default `error-limit`). */
const ERROR_LIMIT = 10;

/** The backends a request may go to now: up and not tried for it yet. */
export function upCandidates(
  backends: readonly Backend[],
  tried: readonly Backend[] | null,
): readonly Backend[] {
  let all = true;
  for (let i = 0; i < backends.length && all; i++) all = backends[i]!.state === "up";
  if (all && tried === null) return backends;
  return backends.filter((b) => b.state === "up" && !tried?.includes(b));
}

/** The record of the request in progress on a client connection. */
export abstract class Outcome extends ClientSide {
  /** The backend serving (or that served) the request; in its `active` while `inFlight`. */
  backend: Backend | null = null;
  inFlight = false;
  method = "";
  target = "";
  minor = 1;
  keepAlive = true;
  status = 0;
  /**
   * When the request's head was read: the loop's clock, read once per round of events as
   * HAProxy's `now_ms` is: a clock read per request cost ~0.2 µs, and a time is off by at most
   * the round it was read in.
   */
  started = 0;
  /** Body bytes sent to the client (the proxy's own answer: all of it). */
  bytes = 0;
  lastError = "no backend is up";

  /** Counts the request against `backend` (least-conn reads it). */
  enter(backend: Backend): void {
    this.backend = backend;
    backend.active++;
    this.inFlight = true;
  }

  /** The request no longer counts against its backend. */
  leave(): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.backend!.active--;
  }

  describe(errno: number): string {
    return describeConnectError(errnoError(errno, "socket"));
  }

  /**
   * Logs a failed connect and marks the backend down (as the TCP mode does).
   *
   * @param tlsError OpenSSL's reason, when it was the TLS handshake (`--backend-tls`) that failed
   */
  connectFailed(backend: Backend, errno: number, tlsError?: string): void {
    const why = errno === 0
      ? `connect timed out after ${this.host.connectTimeoutMs} ms`
      : tlsError !== undefined
      ? `TLS handshake failed: ${tlsError || "the connection broke"}`
      : this.describe(errno);
    this.lastError = `${backend.address}: ${why}`;
    backend.failures++;
    this.host.log.warn(`cannot connect to ${backend.address} for ${this.from}: ${why}`, {
      client: this.from,
      backend: backend.address,
    });
    if (this.host.ctx.settings.healthIntervalMs > 0) this.host.ctx.health.markDown(backend, why);
  }

  /** Passive health: a backend that fails ERROR_LIMIT responses in a row is marked down. */
  observe(pool: ConnPool, failed: boolean): void {
    if (!failed) {
      pool.errors = 0;
      return;
    }
    if (++pool.errors < ERROR_LIMIT) return;
    pool.errors = 0;
    const { health, settings } = this.host.ctx;
    if (settings.healthIntervalMs > 0) {
      health.markDown(pool.backend, `${ERROR_LIMIT} failed responses in a row`);
    }
  }

  /** Refuses a request that cannot be read (400, 408, 414, 431, 505, 417) and closes. */
  refuse(status: number): void {
    const bytes = answer(status, true);
    this.status = status;
    this.closeAfter = true;
    if (!this.sendDown(bytes, 0, bytes.length) || this.out === null) this.closeClient();
    if (this.host.logging) {
      this.host.log.info(`request from ${this.from} refused: ${status}`, {
        client: this.from,
        status,
      });
    }
  }

  ms(): number {
    return this.loop.now - this.started;
  }

  /** The request's log line; `why` for a failure. */
  line(why: string | undefined): string {
    const to = this.backend === null ? "" : ` forwarded to ${this.backend.address}`;
    const tail = why === undefined ? "" : ` (${why})`;
    return `${this.method} ${this.target} from ${this.from}${to}: ${this.status}, ${this.bytes} bytes, ${
      this.ms().toFixed(1)
    } ms${tail}`;
  }

  /** The request's log record (for JSON logs). */
  record(why?: string): Record<string, unknown> {
    return {
      method: this.method,
      target: this.target,
      client: this.from,
      backend: this.backend?.address,
      status: this.status,
      bytes: this.bytes,
      durationMs: this.ms(),
      ...(why !== undefined ? { error: why } : {}),
    };
  }

  /** Counts and logs a request its backend answered. */
  logDone(): void {
    const ms = this.ms();
    if (this.backend !== null) this.host.metrics(this.backend).note(this.status, ms);
    if (this.host.logging) this.host.log.info(this.line(undefined), this.record());
  }
}
