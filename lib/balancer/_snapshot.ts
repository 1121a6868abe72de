/**
 * A running balancer's counters gathered into {@linkcode BalancerStats} (what `/stats` and
 * `/metrics` print).
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import { formatAddress } from "./backend_spec.ts";
import type { BalancerStats } from "./stats.ts";
import type { RequestStats } from "./http/metrics.ts";
import type { Counters } from "./engines/frontend.ts";

/** What a snapshot is taken of. */
export interface SnapshotSource {
  /** The bound address, once listening. */
  addr: Deno.NetAddr | undefined;
  engine: string;
  strategy: string;
  /** `Date.now()` when it started listening (0: not yet). */
  startedAt: number;
  /** Client connections open now. */
  active: number;
  counters: Counters;
  backends: readonly Backend[];
  /** The http mode's request counters of a backend. */
  requests?: (b: Backend) => RequestStats;
}

/** The counters at this moment. */
export function snapshot(src: SnapshotSource): BalancerStats {
  const { addr, backends, counters, requests } = src;
  return {
    listening: addr ? formatAddress(addr.hostname, addr.port) : "",
    engine: src.engine,
    strategy: src.strategy,
    uptimeSeconds: src.startedAt ? (Date.now() - src.startedAt) / 1000 : 0,
    active: src.active,
    total: counters.total,
    rejected: counters.rejected,
    unserved: counters.unserved,
    bytesUp: backends.reduce((n, b) => n + b.bytes.up, 0),
    bytesDown: backends.reduce((n, b) => n + b.bytes.down, 0),
    backends: backends.map((b) => ({
      address: b.address,
      weight: b.weight,
      state: b.state,
      active: b.active,
      total: b.total,
      bytesUp: b.bytes.up,
      bytesDown: b.bytes.down,
      failures: b.failures,
      ...(requests ? { requests: requests(b) } : {}),
    })),
  };
}
