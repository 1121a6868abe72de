/**
 * The log lines of a balanced connection, the same from both engines. Strings are made only
 * when a line will be printed.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "../backend.ts";
import type { SessionContext } from "./frontend.ts";

/** Logs a client no backend could take. */
export function noBackend(ctx: SessionContext, from: string, lastError: string): void {
  ctx.counters.unserved++;
  ctx.log.error(`no backend for connection from ${from}: ${lastError}`, {
    client: from,
    error: lastError,
  });
}

/** Logs a connection handed to a backend (info: only when something prints it). */
export function logForwarded(log: Logger, from: string, backend: Backend): void {
  log.info(`connection from ${from} forwarded to ${backend.address}`, {
    client: from,
    backend: backend.address,
  });
}

/**
 * Logs (as a warning, so `--quiet` shows it) a backend that failed after the client's bytes had
 * gone to it and before it answered anything: the client is closed, not sent elsewhere.
 */
export function logBackendFailed(log: Logger, from: string, backend: Backend, why: string): void {
  log.warn(
    `backend ${backend.address} failed before answering ${from} (${why}): client closed, not redispatched`,
    { client: from, backend: backend.address, error: why },
  );
}

/** Logs how a connection ended. */
export function logEnded(
  log: Logger,
  from: string,
  backend: Backend,
  end: string,
  error: Error | undefined,
  up: number,
  down: number,
  durationMs: number,
): void {
  const why = error ? `${end}: ${error.message}` : end;
  log.info(
    `connection from ${from} to ${backend.address} ended (${why}): ${up} bytes up, ${down} bytes down, ${
      durationMs.toFixed(1)
    } ms`,
    {
      client: from,
      backend: backend.address,
      bytesUp: up,
      bytesDown: down,
      durationMs,
      end,
    },
  );
}
