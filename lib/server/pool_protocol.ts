/**
 * The messages the pool supervisor and its workers exchange. Everything here must survive
 * `structuredClone`: workers cannot receive functions, so a worker builds its own handler from
 * the static handler's options.
 *
 * @module
 */
import type { StaticOptions } from "../http/handler.ts";

/**
 * How requests reach the workers: `kernel` (each worker listens with `reusePort`; Linux spreads
 * connections) or `queue` (the main thread accepts and hands requests to the least-busy worker).
 *
 * @example
 * ```ts
 * import type { PoolDispatch } from "@netlab/netlab";
 * const dispatch: PoolDispatch = "queue";
 * ```
 */
export type PoolDispatch = "kernel" | "queue";

/** Everything a worker needs to start. */
export interface WorkerConfig {
  /** 1-based slot number; replacements keep their slot's number. */
  id: number;
  dispatch: PoolDispatch;
  /** The static handler's options (plain data: workers cannot receive functions). */
  handler: StaticOptions;
  /** Kernel dispatch: where the worker's own `Deno.serve` listens (with `reusePort`). */
  hostname: string;
  port: number;
  /** Kernel dispatch with TLS: PEM contents. */
  cert?: string;
  key?: string;
  /** Lowest level the worker forwards to the supervisor's logger. */
  logLevel: "debug" | "info" | "warning";
  /** Kernel dispatch: the HTTP engine each worker runs (`epoll`: its own loop). @default {"deno"} */
  engine?: "deno" | "epoll";
  /** The epoll engine's timeouts in seconds (nginx's defaults when unset). */
  headerTimeout?: number;
  keepAliveTimeout?: number;
  sendTimeout?: number;
}

/**
 * A request handed to a worker in queue dispatch. It carries no body: the static handler answers
 * from the method and target alone (405 or 501 for anything but GET, HEAD and OPTIONS), so the
 * supervisor never reads one into memory.
 */
export interface RequestMessage {
  type: "request";
  id: number;
  method: string;
  url: string;
  headers: [string, string][];
  remote: { hostname: string; port: number };
}

/** Supervisor to worker. */
export type ToWorker =
  | { type: "init"; config: WorkerConfig }
  | RequestMessage
  /** Queue dispatch: send the next chunk of response `id`. */
  | { type: "pull"; id: number }
  /** Queue dispatch: the client went away; drop response `id`. */
  | { type: "cancel"; id: number }
  /** Finish what is in flight, stop listening, then report `stopped`. */
  | { type: "drain" }
  /** Throw an uncaught error (demonstrates the supervisor replacing a dead worker). */
  | { type: "crash"; reason: string };

/** A log record as it crosses the thread boundary. */
export interface WireLogRecord {
  category: string[];
  level: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  message: unknown[];
  properties: Record<string, unknown>;
  timestamp: number;
}

/** Worker to supervisor. */
export type FromWorker =
  /** Kernel dispatch: listening on `port`; queue dispatch: handler built (port is 0). */
  /**
   * `epollFd`: the epoll engine's loop, for the supervisor to reap should the worker die, once
   * the worker's thread (`thread`, its id in /proc/self/task) is gone.
   */
  | { type: "ready"; port: number; epollFd?: number; thread?: number }
  /** Could not start (e.g. the port is taken); `name` is the `Deno.errors` class name if any. */
  | { type: "failed"; name: string; message: string }
  /** Queue dispatch: the response head; `body` is the whole body when `more` is false. */
  | {
    type: "head";
    id: number;
    status: number;
    statusText: string;
    headers: [string, string][];
    body: ArrayBuffer | null;
    more: boolean;
  }
  /** Queue dispatch: one chunk of a streamed body, sent in answer to `pull`. */
  | { type: "chunk"; id: number; data: Uint8Array | null; done: boolean }
  | { type: "log"; record: WireLogRecord }
  /** Running total of requests answered by this worker. */
  | { type: "served"; total: number }
  /** Drained: nothing in flight, no longer listening. */
  | { type: "stopped"; total: number };

/**
 * The name every pool worker is started with; `main.ts` checks it to run the worker loop.
 *
 * @example
 * ```ts
 * import { POOL_WORKER_NAME } from "@netlab/netlab";
 * console.log(POOL_WORKER_NAME); // "netlab-pool-worker"
 * ```
 */
export const POOL_WORKER_NAME = "netlab-pool-worker";

/**
 * The response header naming the worker that answered (its 1-based number).
 *
 * @example
 * ```ts
 * import { WORKER_HEADER } from "@netlab/netlab";
 * const res = new Response("hi", { headers: { [WORKER_HEADER]: "2" } });
 * console.log(res.headers.get(WORKER_HEADER)); // "2"
 * ```
 */
export const WORKER_HEADER = "x-netlab-worker";

/** Headers as pairs for the wire; `forEach` is several times cheaper than the iterator in Deno. */
export function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}
