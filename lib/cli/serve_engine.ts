/**
 * Which engine runs `netlab serve` and `netlab pool` (and whether the flags fit it), its TLS
 * options, and how a stopped server is given time to drain.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { UsageError } from "../errors.ts";
import type { ServeOptions } from "../server/async.ts";
import { type EngineChoice, type EnginePick, pickEngine } from "../server/engine.ts";
import type { TlsServerOptions } from "../tls/server.ts";
import type { ServeFlags } from "./serve_flags.ts";

/** How long SIGINT/SIGTERM waits for in-flight requests before giving up on them. */
export const DRAIN_MS = 4000;

/** The epoll engine's timeouts as given (seconds); unset ones take nginx's defaults. */
export interface Timeouts {
  headerTimeout?: number;
  keepAliveTimeout?: number;
  sendTimeout?: number;
}

/**
 * Picks the engine for the flags and checks the flags fit it: the timeouts need the epoll engine
 * (Deno.serve cannot time a connection out), so on `deno` they are a usage error.
 *
 * @returns the pick; `reason` is set when `--engine epoll` could not be honoured
 */
export function engineFor(
  flags: ServeFlags,
  queue = false,
): EnginePick & { timeouts: Timeouts } {
  const pick = pickEngine(flags.engine, { tls: flags.cert !== undefined, host: flags.host, queue });
  const timeouts: Timeouts = {};
  // the flags are read as milliseconds ("60", "60s", "1m"); the engine takes seconds
  if (flags.headerTimeout !== undefined) timeouts.headerTimeout = flags.headerTimeout / 1000;
  if (flags.keepaliveTimeout !== undefined) {
    timeouts.keepAliveTimeout = flags.keepaliveTimeout / 1000;
  }
  if (flags.sendTimeout !== undefined) timeouts.sendTimeout = flags.sendTimeout / 1000;
  if (pick.engine === "deno" && (flags.cert?.length ?? 0) > 1) {
    throw new UsageError(
      `Several certificates (SNI) need the epoll engine, and ${
        flags.engine === "deno" ? "--engine deno" : `the epoll engine cannot run: ${pick.reason}`
      }`,
    );
  }
  if (pick.engine === "deno") {
    const given = [
      flags.headerTimeout !== undefined ? "--header-timeout" : "",
      flags.keepaliveTimeout !== undefined ? "--keepalive-timeout" : "",
      flags.sendTimeout !== undefined ? "--send-timeout" : "",
    ].filter((f) => f !== "");
    if (given.length > 0) {
      const why = flags.engine === "deno"
        ? "--engine deno"
        : `the epoll engine cannot run: ${pick.reason}`;
      throw new UsageError(
        `${given.join(", ")} ${
          given.length > 1 ? "need" : "needs"
        } the epoll engine (Deno.serve cannot time out connections), and ${why}`,
      );
    }
  }
  return { ...pick, timeouts };
}

/** The epoll engine's TLS options for serve options that carry a certificate and key. */
export function tlsOf(options: ServeOptions): { tls?: TlsServerOptions } {
  if (options.cert === undefined || options.key === undefined) return {};
  const first = { cert: options.cert, key: options.key };
  return { tls: { identities: [first, ...(options.moreCerts ?? [])] } };
}

/** Waits for a server to finish, giving up DRAIN_MS after `signal` aborts. */
export function drained(finished: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(resolve, DRAIN_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    finished.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/** Says in one line why `--engine epoll` runs on Deno.serve instead. */
export function warnFallback(choice: EngineChoice, pick: EnginePick): void {
  if (choice !== "epoll" || pick.reason === undefined) return;
  getLogger(["netlab", "server"]).warn(
    `Cannot run the epoll engine: ${pick.reason}; running the deno engine`,
  );
}
