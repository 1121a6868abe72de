/**
 * The balancer's counters as data, JSON and Prometheus text, and the plain HTTP handler that
 * serves them on `--stats-port` (`GET /stats`, `GET /metrics`).
 *
 * @module
 */
import type { BackendState } from "./backend.ts";

/** One backend's counters. */
export interface BackendStats {
  address: string;
  weight: number;
  state: BackendState;
  active: number;
  total: number;
  bytesUp: number;
  bytesDown: number;
  failures: number;
}

/** The balancer's counters at one moment. */
export interface BalancerStats {
  /** `host:port` the balancer listens on. */
  listening: string;
  strategy: string;
  uptimeSeconds: number;
  /** Connections open now. */
  active: number;
  /** Connections accepted since start. */
  total: number;
  /** Connections closed at once because `maxConns` were open. */
  rejected: number;
  /** Connections closed because no backend could take them. */
  unserved: number;
  /** Bytes forwarded from clients to backends. */
  bytesUp: number;
  /** Bytes forwarded from backends to clients. */
  bytesDown: number;
  backends: BackendStats[];
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/** Renders stats in the Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(stats: BalancerStats): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: [labels: string, value: number][],
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  metric("netlab_balancer_connections_active", "gauge", "Client connections open now.", [[
    "",
    stats.active,
  ]]);
  metric("netlab_balancer_connections_total", "counter", "Client connections accepted.", [[
    "",
    stats.total,
  ]]);
  metric(
    "netlab_balancer_connections_rejected_total",
    "counter",
    "Client connections closed because max-conns were open.",
    [["", stats.rejected]],
  );
  metric(
    "netlab_balancer_connections_unserved_total",
    "counter",
    "Client connections closed because no backend could take them.",
    [["", stats.unserved]],
  );
  const per = (f: (b: BackendStats) => number): [string, number][] =>
    stats.backends.map((b) => [`{backend="${esc(b.address)}"}`, f(b)]);
  metric(
    "netlab_backend_up",
    "gauge",
    "1 if the backend takes new connections.",
    per((b) => b.state === "up" ? 1 : 0),
  );
  metric("netlab_backend_weight", "gauge", "Configured weight.", per((b) => b.weight));
  metric(
    "netlab_backend_connections_active",
    "gauge",
    "Connections open to the backend.",
    per((b) => b.active),
  );
  metric(
    "netlab_backend_connections_total",
    "counter",
    "Connections proxied to the backend.",
    per((b) => b.total),
  );
  metric(
    "netlab_backend_bytes_total",
    "counter",
    "Bytes forwarded, by direction (up: to the backend, down: to clients).",
    stats.backends.flatMap((b): [string, number][] => [
      [`{backend="${esc(b.address)}",direction="up"}`, b.bytesUp],
      [`{backend="${esc(b.address)}",direction="down"}`, b.bytesDown],
    ]),
  );
  metric(
    "netlab_backend_failures_total",
    "counter",
    "Failed connects and health checks.",
    per((b) => b.failures),
  );
  return out.join("\n") + "\n";
}

/**
 * A plain handler for the stats port: `GET /stats` (JSON) and `GET /metrics` (Prometheus).
 *
 * @param source Returns the current {@linkcode BalancerStats}, e.g. `() => balancer.stats()`.
 * @returns A `(Request) => Response` handler.
 *
 * @example
 * ```ts ignore
 * import { createStatsHandler, startBalancer } from "@netlab/netlab/balancer";
 *
 * const lb = await startBalancer({ backends: [{ host: "127.0.0.1", port: 9002, weight: 1 }] });
 * Deno.serve({ port: 9100 }, createStatsHandler(() => lb.stats()));
 * ```
 */
export function createStatsHandler(
  source: () => BalancerStats,
): (req: Request) => Response {
  return (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/stats" && path !== "/metrics") {
      return new Response("Not found: try /stats or /metrics\n", { status: 404 });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (path === "/stats") {
      return new Response(JSON.stringify(source(), null, 2) + "\n", {
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    }
    return new Response(renderMetrics(source()), {
      headers: {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  };
}
