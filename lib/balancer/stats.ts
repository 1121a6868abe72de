/**
 * The balancer's counters as data, JSON and Prometheus text, and the plain HTTP handler that
 * serves them on `--stats-port` (`GET /stats`, `GET /metrics`).
 *
 * @module
 */
import type { BackendState } from "./backend.ts";
import { renderRequestMetrics, type RequestStats } from "./http/metrics.ts";

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
  /** http mode: requests by status class, bytes, response times. */
  requests?: RequestStats;
}

/** The balancer's counters at one moment. */
export interface BalancerStats {
  /** `host:port` the balancer listens on. */
  listening: string;
  /** The socket engine: `epoll` or `deno`. */
  engine: string;
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

/** One metric family: name, type, help line and its samples (labels, value). */
type Family = [
  name: string,
  type: "gauge" | "counter",
  help: string,
  samples: [labels: string, value: number][],
];

/** The balancer's own families: what runs, and its client connections. */
function balancerFamilies(stats: BalancerStats): Family[] {
  const info = `{engine="${esc(stats.engine)}",strategy="${esc(stats.strategy)}"}`;
  return [
    ["netlab_balancer_info", "gauge", "The engine and strategy in use (always 1).", [[info, 1]]],
    ["netlab_balancer_connections_active", "gauge", "Client connections open now.", [[
      "",
      stats.active,
    ]]],
    ["netlab_balancer_connections_total", "counter", "Client connections accepted.", [[
      "",
      stats.total,
    ]]],
    [
      "netlab_balancer_connections_rejected_total",
      "counter",
      "Client connections closed because max-conns were open.",
      [["", stats.rejected]],
    ],
    [
      "netlab_balancer_connections_unserved_total",
      "counter",
      "Client connections closed because no backend could take them.",
      [["", stats.unserved]],
    ],
  ];
}

/** The per-backend families, one sample per backend (two for bytes: up and down). */
function backendFamilies(backends: readonly BackendStats[]): Family[] {
  const per = (f: (b: BackendStats) => number): [string, number][] =>
    backends.map((b) => [`{backend="${esc(b.address)}"}`, f(b)]);
  const bytes = backends.flatMap((b): [string, number][] => [
    [`{backend="${esc(b.address)}",direction="up"}`, b.bytesUp],
    [`{backend="${esc(b.address)}",direction="down"}`, b.bytesDown],
  ]);
  return [
    [
      "netlab_backend_up",
      "gauge",
      "1 if the backend takes new connections.",
      per((b) => b.state === "up" ? 1 : 0),
    ],
    ["netlab_backend_weight", "gauge", "Configured weight.", per((b) => b.weight)],
    [
      "netlab_backend_connections_active",
      "gauge",
      "Connections open to the backend.",
      per((b) => b.active),
    ],
    [
      "netlab_backend_connections_total",
      "counter",
      "Connections proxied to the backend.",
      per((b) => b.total),
    ],
    [
      "netlab_backend_bytes_total",
      "counter",
      "Bytes forwarded, by direction (up: to the backend, down: to clients).",
      bytes,
    ],
    [
      "netlab_backend_failures_total",
      "counter",
      "Failed connects and health checks.",
      per((b) => b.failures),
    ],
  ];
}

/** Renders stats in the Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(stats: BalancerStats): string {
  const out: string[] = [];
  for (
    const [name, type, help, samples] of [
      ...balancerFamilies(stats),
      ...backendFamilies(stats.backends),
    ]
  ) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  }
  const http = stats.backends.flatMap((b): [string, RequestStats][] =>
    b.requests ? [[b.address, b.requests]] : []
  );
  if (http.length > 0) out.push(...renderRequestMetrics(http));
  return out.join("\n") + "\n";
}

/** What the stats port answers to one request. */
export interface StatsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const NO_STORE = "no-store";

/** The answer to `method path` on the stats port: `/stats` (JSON), `/metrics` (Prometheus). */
export function answerStats(
  method: string,
  path: string,
  source: () => BalancerStats,
): StatsAnswer {
  if (path !== "/stats" && path !== "/metrics") {
    return { status: 404, headers: {}, body: "Not found: try /stats or /metrics\n" };
  }
  if (method !== "GET" && method !== "HEAD") {
    return { status: 405, headers: { allow: "GET, HEAD" }, body: "Method not allowed\n" };
  }
  if (path === "/stats") {
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": NO_STORE },
      body: JSON.stringify(source(), null, 2) + "\n",
    };
  }
  return {
    status: 200,
    headers: {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
      "cache-control": NO_STORE,
    },
    body: renderMetrics(source()),
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
};
const enc = new TextEncoder();

/**
 * The bytes of a whole HTTP/1.1 response to a raw request head (one request per connection:
 * `connection: close`), for the stats servers that speak HTTP themselves.
 */
export function statsResponse(head: string, source: () => BalancerStats): Uint8Array {
  const [method = "", target = ""] = head.slice(0, head.indexOf("\r\n")).split(" ");
  const path = target.startsWith("/") ? target.split("?")[0]! : "";
  const answer = path === ""
    ? { status: 400, headers: {}, body: "Bad request\n" }
    : answerStats(method, path, source);
  const body = enc.encode(answer.body);
  let text = `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? ""}\r\n`;
  for (const [k, v] of Object.entries(answer.headers)) text += `${k}: ${v}\r\n`;
  text += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const headBytes = enc.encode(text);
  if (method === "HEAD") return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
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
    const a = answerStats(req.method, new URL(req.url).pathname, source);
    return new Response(a.body, { status: a.status, headers: a.headers });
  };
}
