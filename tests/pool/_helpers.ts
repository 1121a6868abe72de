/**
 * Test helpers for the pool: a started pool that stops when disposed, log capture, and requests on
 * fresh connections (so the kernel's reusePort hashing gets a new chance every time).
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { WorkerPool } from "../../lib/server/pool.ts";
import type { PoolOptions, PoolSummary } from "../../lib/server/pool_options.ts";
import type { PoolDispatch } from "../../lib/server/pool_protocol.ts";

/** A dispatch mode, and for kernel dispatch the engine: `kernel-epoll` runs netlab's own. */
export type Mode = PoolDispatch | "kernel-epoll";

/** Every mode; kernel only where reusePort shares a port (and epoll only on Linux). */
export const DISPATCHES: Mode[] = Deno.build.os === "linux"
  ? ["kernel", "kernel-epoll", "queue"]
  : ["queue"];

/** The pool options of a mode. */
export function poolMode(mode: Mode): { dispatch: PoolDispatch; engine: "deno" | "epoll" } {
  return mode === "kernel-epoll"
    ? { dispatch: "kernel", engine: "epoll" }
    : { dispatch: mode, engine: "deno" };
}

/** A running pool that stops (draining) when disposed. */
export interface TestPool extends AsyncDisposable {
  pool: WorkerPool;
  base: string;
  port: number;
}

/** Starts a pool on 127.0.0.1:0. */
export async function startPool(
  options: Partial<PoolOptions> & { handler: PoolOptions["handler"] },
): Promise<TestPool> {
  // The suite starts many pools at once on two cores: give workers more than the 10 s default.
  const pool = new WorkerPool({ workers: 2, port: 0, readyTimeoutMs: 30_000, ...options });
  const addr = await pool.start();
  return {
    pool,
    base: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    async [Symbol.asyncDispose]() {
      await pool.stop().catch(() => {});
    },
  };
}

/** Records every `netlab.*` log record until disposed. */
export async function captureLogs(
  lowestLevel: "debug" | "info" = "info",
): Promise<
  & { records: LogRecord[]; waitFor(test: (r: LogRecord) => boolean, n?: number): Promise<void> }
  & AsyncDisposable
> {
  const records: LogRecord[] = [];
  const waiters: (() => void)[] = [];
  await configure({
    reset: true,
    sinks: {
      mem: (r) => {
        records.push(r);
        for (const w of waiters.splice(0)) w();
      },
    },
    loggers: [
      { category: ["netlab"], sinks: ["mem"], lowestLevel },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  return {
    records,
    async waitFor(test, n = 1) {
      while (records.filter(test).length < n) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async [Symbol.asyncDispose]() {
      await reset();
    },
  };
}

/** A fetch client that never reuses a connection. */
export function freshClient(): Deno.HttpClient {
  return Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
}

/** The message text of a record. */
export function text(r: LogRecord): string {
  return r.message.map(String).join("");
}

/** Total requests in a summary. */
export function total(summary: PoolSummary): number {
  return summary.workers.reduce((n, w) => n + w.served, 0);
}
