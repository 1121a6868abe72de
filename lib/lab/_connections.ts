import type { BackendConnections } from "./types.ts";

interface StatsBackend {
  address?: unknown;
  backend?: unknown;
  total?: unknown;
  connections?: unknown;
  totalConnections?: unknown;
}

/** Reads per-backend connection totals from the balancer's `GET /stats` JSON. */
export async function readBalancerStats(
  statsUrl: string,
  signal?: AbortSignal,
): Promise<BackendConnections[]> {
  const res = await fetch(statsUrl, signal ? { signal } : {});
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`The balancer's stats at ${statsUrl} answered ${res.status}`);
  }
  return parseBalancerStats(await res.json());
}

/** Picks `{ backend, connections }` out of the balancer's stats document. */
export function parseBalancerStats(stats: unknown): BackendConnections[] {
  const list = (stats as { backends?: unknown })?.backends;
  if (!Array.isArray(list)) throw new Error("The balancer's stats have no backends list");
  return list.map((b: StatsBackend) => {
    const backend = b.address ?? b.backend;
    const connections = b.total ?? b.totalConnections ?? b.connections;
    if (typeof backend !== "string" || typeof connections !== "number") {
      throw new Error(
        `The balancer's stats have a backend without address or total: ${JSON.stringify(b)}`,
      );
    }
    return { backend, connections };
  });
}
