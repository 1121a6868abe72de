/**
 * The portable engine: Deno.listen and Deno.connect, whose sockets already fit the interface.
 *
 * @module
 */
import { connectWithTimeout } from "../_connect.ts";
import type { Transport, TransportConn, TransportListener } from "./transport.ts";

/** Creates the Deno engine (it holds nothing, so closing it is a no-op). */
export function denoTransport(): Transport {
  return {
    name: "deno",
    listen(host: string, port: number): TransportListener {
      return Deno.listen({ hostname: host, port });
    },
    connect(host: string, port: number, timeoutMs: number): Promise<TransportConn> {
      return connectWithTimeout(host, port, timeoutMs);
    },
    close: () => Promise.resolve(),
  };
}
