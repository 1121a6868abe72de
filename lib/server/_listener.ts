/**
 * A `Deno.serve` that outlives its listener. When accepting fails (out of descriptors: EMFILE or
 * ENFILE), Deno ends the server's accept loop and rejects its `finished`; the connections it had
 * accepted go on being served. Here that is logged (one line a second at most, with a count) and
 * a new listener is opened on the same address, retried until the descriptors are back: the
 * process never exits, and in a pool the worker is never lost, because of it.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";

/** Where and how to listen: the `Deno.serve` options netlab uses. */
export interface ListenOptions {
  hostname: string;
  port: number;
  reusePort?: boolean;
  cert?: string;
  key?: string;
  /** Answers a request whose handler threw. */
  onError: (err: unknown) => Response | Promise<Response>;
}

/** A server that re-opens its listener when accepting fails. */
export interface Listening {
  /** The address bound first (a new listener takes the same port). */
  readonly addr: Deno.NetAddr;
  /** Resolves once shut down and every connection, on every listener so far, has finished. */
  readonly finished: Promise<void>;
  /** Stops listening (and retrying) and drains the connections in flight. */
  shutdown(): Promise<void>;
}

/** First and longest pause between attempts to listen again. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * Starts `Deno.serve` with `options` and `handler`; throws what the first listen throws (for
 * example `AddrInUse`) unchanged. Accept failures later on are reported on `logger`.
 */
export function listen(
  options: ListenOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  logger: Logger,
): Listening {
  const open = (port: number): Deno.HttpServer<Deno.NetAddr> =>
    Deno.serve({ ...options, port, onListen: () => {} }, handler);
  const first = open(options.port);
  const addr = first.addr;
  const where = `${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
  const servers = new Set<Deno.HttpServer<Deno.NetAddr>>();
  const log = new RateLimitedLog(logger);
  const done = Promise.withResolvers<void>();
  let stopping: Promise<void> | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  // while descriptors stay short, each new listener fails at once: back off, up to a second
  let pause = RETRY_MIN_MS;
  let failedAt = -Infinity;

  const relisten = (ms: number): void => {
    retry = setTimeout(() => {
      retry = undefined;
      if (stopping !== null) return;
      try {
        watch(open(addr.port));
      } catch (err) {
        log.note(`Cannot listen on ${where} again: ${reason(err)}; retrying`);
        relisten(Math.min(ms * 2, RETRY_MAX_MS));
      }
    }, ms);
  };
  const watch = (server: Deno.HttpServer<Deno.NetAddr>): void => {
    servers.add(server);
    server.finished.catch((err) => {
      // its connections still run: keep the server for shutdown() to drain
      if (stopping !== null) return;
      log.note(`Cannot accept connections on ${where}: ${reason(err)}; listening again`);
      const now = performance.now();
      pause = now - failedAt < 2 * RETRY_MAX_MS ? Math.min(pause * 2, RETRY_MAX_MS) : RETRY_MIN_MS;
      failedAt = now;
      relisten(pause);
    });
  };
  watch(first);

  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      clearTimeout(retry);
      log.close();
      await Promise.allSettled([...servers].map((s) => s.shutdown()));
      done.resolve();
    })();
    return stopping;
  };
  return { addr, finished: done.promise, shutdown };
}

/** An error's message without Deno's "Http: " and "Error: " wrappers. */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^(?:Http: )?(?:Error: )?/, "");
}

/**
 * Logs a warning at most once a second: the first note at once, later ones in the same second as
 * one line with their count when the second is over.
 */
export class RateLimitedLog {
  #logger: { warn(message: string): void };
  #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #held = 0;
  #last = "";

  /** @param logger where lines go (a LogTape logger) */
  constructor(logger: { warn(message: string): void }, intervalMs = 1000) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** Records one occurrence of `message`. */
  note(message: string): void {
    this.#last = message;
    if (this.#timer !== undefined) {
      this.#held++;
      return;
    }
    this.#emit(message, 1);
  }

  /** Writes what is held back and stops the clock. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#held > 0) this.#logger.warn(literal(`${this.#last} (${times(this.#held)})`));
    this.#held = 0;
  }

  #emit(message: string, count: number): void {
    this.#logger.warn(literal(count === 1 ? message : `${message} (${times(count)})`));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const held = this.#held;
      this.#held = 0;
      if (held > 0) this.#emit(this.#last, held);
    }, this.#intervalMs);
  }
}

function times(n: number): string {
  return n === 1 ? "once more in the last second" : `${n} times in the last second`;
}

/** Escapes LogTape's message-template braces. */
function literal(text: string): string {
  return text.replaceAll("{", "{{").replaceAll("}", "}}");
}
