/**
 * Builds the handler a pool worker runs. Placeholder until the static handler lands.
 *
 * @module
 */
import type { PoolHandlerOptions } from "./pool_protocol.ts";

/** A plain request handler, as in `lib/http/handler.ts`. */
export type Handler = (req: Request, info?: Deno.ServeHandlerInfo) => Promise<Response>;

/** The handler a worker serves with. */
export function buildHandler(options: PoolHandlerOptions): Handler {
  return (req) => {
    const url = new URL(req.url);
    if (options.demoRoutes && url.pathname === "/_netlab/work") {
      const ms = Number(url.searchParams.get("ms") ?? "0");
      const start = Date.now();
      while (Date.now() - start < ms) { /* burn */ }
      return Promise.resolve(Response.json({ ms, start, end: Date.now() }));
    }
    return Promise.resolve(new Response(`placeholder ${url.pathname}\n`));
  };
}
