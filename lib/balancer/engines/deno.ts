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
import { OpenClients } from "./_clients.ts";

/** How long accepting pauses after a failure such as running out of descriptors. */
const PAUSE_MS = 100;

/** The Deno engine listening on host:port. */
export class DenoFrontend implements Frontend {
  readonly name = "deno" as const;
  readonly addr: Deno.NetAddr;
  #listener: Deno.TcpListener;
  #ctx: DenoSessionContext;
  #kill = new AbortController();
  /** The sessions serving clients, and the max-conns admission, as the epoll engine's. */
  #clients: OpenClients<Promise<void>>;
  #accepting: Promise<void>;
  #stopping = false;
  #overload: OverloadLog;
  #connectOverload: OverloadLog;

  /** Listens at once; throws what `Deno.listen` throws. */
  constructor(ctx: SessionContext, host: string, port: number) {
    this.#listener = Deno.listen({ hostname: host, port });
    this.addr = this.#listener.addr;
    this.#overload = new OverloadLog(ctx.log);
    this.#connectOverload = new OverloadLog(ctx.log);
    this.#ctx = { ...ctx, kill: this.#kill.signal, spare: [], overload: this.#connectOverload };
    this.#clients = new OpenClients(ctx);
    this.#accepting = this.#acceptLoop();
  }

  get active(): number {
    return this.#clients.size;
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
    await this.#clients.idle();
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
    const { log } = this.#ctx;
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
      if (!this.#clients.admit()) {
        conn.close();
        continue;
      }
      const session = serveClient(conn, this.#ctx).catch((err) => {
        log.error(`connection failed: ${(err as Error).message}`);
        try {
          conn.close();
        } catch { /* already closed */ }
      }).finally(() => this.#clients.ended(session));
      this.#clients.conns.add(session);
    }
  }
}
