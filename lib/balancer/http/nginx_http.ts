/**
 * `netlab balance --mode http --emit nginx`: the http mode as an nginx `http {}` block: an
 * upstream with keep-alive connections (`keepalive`, HTTP/1.1 and an empty Connection toward
 * the backends), the forwarding fields, and the same retries and timeouts. Open-source nginx has
 * no active health checks: failures take a server out passively, as the comment says.
 *
 * @module
 */
import { formatAddress } from "../backend_spec.ts";
import { generatedBy, ms } from "../_emit.ts";
import type { BalancerSettings } from "../options.ts";
import type { BackendSpec } from "../backend_spec.ts";
import type { StrategyName } from "../strategies/strategy.ts";
import type { EmitTlsFiles } from "../_emit.ts";
import { nginxTls } from "../_emit_tls.ts";

const BALANCE: Record<StrategyName, string[]> = {
  "round-robin": [],
  "least-conn": ["least_conn;"],
  "random": ["random two least_conn;"],
  "source-hash": ["hash $remote_addr consistent;"],
};

/** nginx has no "never" for a timeout; a week stands in for netlab's 0. */
const time = (n: number) => (n === 0 ? "7d" : ms(n));
const wholeSeconds = (n: number) => `${Math.max(1, Math.ceil(n / 1000))}s`;

/**
 * `--forwarded`: the client's RFC 7239 element appended to Forwarded as netlab writes it (an
 * IPv6 address quoted in brackets, `host` only when the request names one).
 */
const FORWARDED_MAPS = [
  "",
  "  # --forwarded: the client's RFC 7239 element, appended to the Forwarded it came with",
  "  map $remote_addr $netlab_forwarded_for {",
  '    ~:      "for=\\"[$remote_addr]\\"";',
  '    default "for=$remote_addr";',
  "  }",
  "  map $http_host $netlab_forwarded_host {",
  "    ''      '';",
  '    default ";host=\\"$http_host\\"";',
  "  }",
  "  map $http_forwarded $netlab_forwarded {",
  "    ''      \"$netlab_forwarded_for$netlab_forwarded_host;proto=$scheme\";",
  '    default "$http_forwarded, $netlab_forwarded_for$netlab_forwarded_host;proto=$scheme";',
  "  }",
];

/** The http mode's nginx configuration. */
export function nginxHttpConfig(
  o: BalancerSettings,
  backends: readonly BackendSpec[],
  strategy: StrategyName,
  statsPort: number | undefined,
  tlsFiles?: EmitTlsFiles,
): string {
  const tls = nginxTls(tlsFiles, backends, "      ");
  const passive = o.healthIntervalMs > 0
    ? ` max_fails=10 fail_timeout=${wholeSeconds(o.healthRise * o.healthIntervalMs)}`
    : " max_fails=0";
  const workerConnections = 2 * o.maxConns + 64;
  const lines = [
    generatedBy("nginx"),
    "# Run: nginx -c $PWD/nginx.conf; drain as netlab does on SIGTERM with nginx -s quit (SIGQUIT).",
    "worker_processes auto;",
    `worker_rlimit_nofile ${2 * workerConnections};`,
    `worker_shutdown_timeout ${ms(o.drainTimeoutMs)};`,
    "",
    "events {",
    `  worker_connections ${workerConnections};`,
    "}",
    "",
    "http {",
    "  access_log off;",
    "  upstream netlab_backends {",
    ...BALANCE[strategy].map((l) => `    ${l}`),
    ...backends.map((b) =>
      `    server ${
        formatAddress(b.host, b.port)
      } weight=${b.weight} max_conns=${o.backendConns}${passive};`
    ),
    "    # --backend-conns: idle keep-alive connections kept per worker",
    `    keepalive ${o.backendConns};`,
    `    keepalive_timeout ${ms(Math.min(4000, o.idleTimeoutMs || 4000))};`,
    "  }",
    "",
    "  server {",
    `    listen ${formatAddress(o.host, o.port)}${tls.listen}${
      o.acceptProxy ? " proxy_protocol" : ""
    };`,
    ...tls.server.map((l) => l.slice(2)),
    // --accept-proxy: the client is the one the PROXY header names
    ...(o.acceptProxy
      ? [
        "    set_real_ip_from 0.0.0.0/0;",
        "    set_real_ip_from ::/0;",
        "    real_ip_header proxy_protocol;",
      ]
      : []),
    `    client_header_timeout ${ms(o.requestTimeoutMs)};`,
    `    keepalive_timeout ${time(o.idleTimeoutMs)};`,
    "    location / {",
    `      proxy_pass ${tls.scheme}://netlab_backends;`,
    ...tls.proxy,
    "      proxy_http_version 1.1;",
    "      proxy_set_header Connection $http_connection_upgrade;",
    "      proxy_set_header Upgrade $http_upgrade;",
    "      proxy_set_header Host $http_host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    ...(o.forwarded
      ? [
        "      proxy_set_header X-Forwarded-Proto $scheme;",
        "      proxy_set_header Forwarded $netlab_forwarded;",
      ]
      : []),
    "      proxy_buffering off;",
    "      proxy_request_buffering off;",
    `      proxy_connect_timeout ${ms(o.connectTimeoutMs)};`,
    `      proxy_read_timeout ${ms(o.serverTimeoutMs)};`,
    `      proxy_send_timeout ${ms(o.serverTimeoutMs)};`,
    "      proxy_next_upstream error timeout;",
    `      proxy_next_upstream_tries ${o.retries + 1};`,
    "    }",
    "  }",
    "",
    "  # a WebSocket's Upgrade goes on; any other request keeps its backend connection alive",
    "  map $http_upgrade $http_connection_upgrade {",
    "    default upgrade;",
    "    '' '';",
    "  }",
    ...(o.forwarded ? FORWARDED_MAPS : []),
  ];
  if (statsPort !== undefined) {
    lines.push(
      "",
      "  server {",
      `    listen ${formatAddress(o.host, statsPort)};`,
      "    location = /stats {",
      "      stub_status;",
      "    }",
      "  }",
    );
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
