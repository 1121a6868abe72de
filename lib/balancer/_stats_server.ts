/**
 * The stats port on the Deno engine: a deliberately small HTTP/1.1 server (one request per
 * connection, then close) for `GET /stats` and `GET /metrics`. Not `Deno.serve`: out of
 * descriptors, its accept loop rejects a promise nobody can catch and the whole balancer dies;
 * this one pauses and goes on. (The epoll engine serves the port on its own event loop:
 * {@link openStats} takes the engine's when it has one.)
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { OverloadLog } from "./engines/_overload.ts";
import type { Frontend, StatsEndpoint } from "./engines/frontend.ts";
import { type BalancerStats, statsResponse } from "./stats.ts";
import { ListenFailedError } from "./options.ts";

const MAX_HEAD = 8192;
const READ_TIMEOUT_MS = 5000;
const PAUSE_MS = 100;

/** A running stats server. */
export class StatsServer implements StatsEndpoint {
  readonly addr: Deno.NetAddr;
  #listener: Deno.TcpListener;
  #respond: (head: string) => Uint8Array;
  #conns = new Set<Deno.TcpConn>();
  #accepting: Promise<void>;
  #overload: OverloadLog;
  #closed = false;

  /**
   * Listens at once; throws what `Deno.listen` throws.
   *
   * @param respond the whole response to a request head
   */
  constructor(host: string, port: number, respond: (head: string) => Uint8Array, log: Logger) {
    this.#listener = Deno.listen({ hostname: host, port });
    this.addr = this.#listener.addr;
    this.#respond = respond;
    this.#overload = new OverloadLog(log);
    this.#accepting = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        if (err instanceof Deno.errors.ConnectionAborted) continue;
        this.#overload.note(`stats: accept failed: ${(err as Error).message}; pausing`);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        continue;
      }
      this.#conns.add(conn);
      this.#serve(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed already */ }
      });
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const head = await readHead(conn);
    if (head === undefined) return;
    const out = this.#respond(head);
    for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
  }

  /** Stops listening and closes every open connection. */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* closed already */ }
    await this.#accepting;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed already */ }
    }
    this.#overload.close();
  }
}

/** Reads a request head (through the blank line), or undefined when it never comes whole. */
async function readHead(conn: Deno.TcpConn): Promise<string | undefined> {
  const buf = new Uint8Array(MAX_HEAD);
  let got = 0;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed already */ }
  }, READ_TIMEOUT_MS);
  try {
    while (got < MAX_HEAD) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) return undefined;
      got += n;
      const text = new TextDecoder().decode(buf.subarray(0, got));
      if (text.includes("\r\n\r\n")) return text;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serves `stats()` on `host:port` (`/stats` and `/metrics`): on the frontend's own loop when its
 * engine can, else on a {@link StatsServer}.
 *
 * @throws {ListenFailedError} (`"stats"`) with the listen error as `cause`
 */
export function openStats(
  frontend: Frontend,
  host: string,
  port: number,
  stats: () => BalancerStats,
  log: Logger,
): StatsEndpoint {
  try {
    const respond = (head: string) => statsResponse(head, stats);
    return frontend.serveStats?.(host, port, respond) ?? new StatsServer(host, port, respond, log);
  } catch (err) {
    throw new ListenFailedError(host, port, err, "stats");
  }
}
