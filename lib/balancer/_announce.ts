/**
 * What a balancer says when it starts listening: the listening line (address, strategy, backend
 * count, engine, mode, TLS) with its fields, and where its stats are.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { formatAddress } from "./backend_spec.ts";
import { counted } from "../runtime/text.ts";

/** What the listening line names. */
export interface Listening {
  strategy: string;
  engine: string;
  backends: readonly { address: string }[];
  mode: string;
  /** `, TLS terminated with ...` or "" (see `_tls.ts`). */
  tls: string;
}

/** Strategy, backend count and engine, as the listening line gives them. */
export function describeListening(l: Listening): string {
  const n = counted(l.backends.length, "backend");
  const mode = l.mode === "http" ? ", http mode" : "";
  return `${l.strategy}, ${n}, ${l.engine} engine${mode}${l.tls}`;
}

/** Logs the listening line for `addr`, then where the stats are (when served). */
export function announce(
  log: Logger,
  addr: Deno.NetAddr,
  l: Listening,
  stats: Deno.NetAddr | undefined,
): void {
  log.info(`listening on ${formatAddress(addr.hostname, addr.port)} (${describeListening(l)})`, {
    host: addr.hostname,
    port: addr.port,
    engine: l.engine,
    strategy: l.strategy,
    backends: l.backends.map((b) => b.address),
  });
  if (stats !== undefined) {
    log.info(`stats on http://${formatAddress(stats.hostname, stats.port)}/stats and /metrics`);
  }
}
