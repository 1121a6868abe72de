/**
 * The portable engine: Deno.listen and Deno.connect, a promise chain per connection
 * (`proxy()`). It runs wherever Deno does and resolves host names; it costs more CPU per
 * connection than the epoll engine.
 *
 * @module
 */
import { OverloadLog } from "./_overload.ts";
import { type DenoSessionContext, serveClient } from "./_deno_session.ts";
import type { Frontend, SessionContext } from "./frontend.ts";
import { counted } from "../../runtime/text.ts";

/** How long accepting pauses after a failure such as running out of descriptors. */
const PAUSE_MS = 100;

/** The Deno engine listening on host:port. */
export class DenoFrontend implements Frontend {
  readonly name = "deno" as const;
  readonly addr: Deno.NetAddr;
  #listener: Deno.TcpListener;
  #ctx: DenoSessionContext;
  #kill = new AbortController();
  #sessions = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #stopping = false;
  /** Whether the last client was turned away by maxConns (to warn once per episode). */
  #full = false;
  #overload: OverloadLog;
  #connectOverload: OverloadLog;

  /** Listens at once; throws what `Deno.listen` throws. */
  constructor(ctx: SessionContext, host: string, port: number) {
    this.#listener = Deno.listen({ hostname: host, port });
    this.addr = this.#listener.addr;
    this.#overload = new OverloadLog(ctx.log);
    this.#connectOverload = new OverloadLog(ctx.log);
    this.#ctx = { ...ctx, kill: this.#kill.signal, spare: [], overload: this.#connectOverload };
    this.#accepting = this.#acceptLoop();
  }

  get active(): number {
    return this.#sessions.size;
  }

  async stopAccepting(): Promise<void> {
    this.#stopping = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    // the socket really stops listening only once the pending accept has settled
    await this.#accepting;
  }

  async idle(): Promise<void> {
    while (this.#sessions.size > 0) await Promise.all(this.#sessions);
  }

  closeAll(): void {
    this.#kill.abort();
  }

  async close(): Promise<void> {
    await this.stopAccepting();
    this.closeAll();
    await this.idle();
    this.#overload.close();
    this.#connectOverload.close();
  }

  async #acceptLoop(): Promise<void> {
    const { counters, settings, log } = this.#ctx;
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) break;
        // the client reset before we took it (a port scan, an impatient client): nothing to serve,
        // and no reason to pause accepting for everyone else
        if (
          err instanceof Deno.errors.NotConnected ||
          err instanceof Deno.errors.ConnectionReset ||
          err instanceof Deno.errors.ConnectionAborted
        ) continue;
        // e.g. out of file descriptors: say so (once a second), breathe, keep serving
        this.#overload.note(`accept failed: ${(err as Error).message}; pausing`);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        if (this.#stopping) break;
        continue;
      }
      counters.total++;
      if (this.#sessions.size >= settings.maxConns) {
        // said once per episode, not once per client
        if (!this.#full) {
          log.warn(
            `${
              counted(settings.maxConns, "connection")
            } open (max-conns): closing new ones until one ends`,
          );
        }
        this.#full = true;
        counters.rejected++;
        conn.close();
        continue;
      }
      this.#full = false;
      const session = serveClient(conn, this.#ctx).catch((err) => {
        log.error(`connection failed: ${(err as Error).message}`);
        try {
          conn.close();
        } catch { /* already closed */ }
      }).finally(() => this.#sessions.delete(session));
      this.#sessions.add(session);
    }
  }
}
