/**
 * `netlab balance --emit nginx`: the same balancer as a complete nginx configuration (a `stream`
 * block), for when one machine is no longer enough. Where nginx has no exact counterpart of a
 * netlab setting, a comment in the output says what was chosen instead.
 *
 * @module
 */
import { formatAddress } from "./backend_spec.ts";
import { type EmitOptions, generatedBy, ms } from "./_emit.ts";
import { withDefaults } from "./options.ts";
import { nginxHttpConfig } from "./http/nginx_http.ts";
import type { StrategyName } from "./strategies/strategy.ts";
import { nginxTls } from "./_emit_tls.ts";

/** What the nginx configuration is generated from (the same as for HAProxy). */
export type NginxConfigOptions = EmitOptions;

// Round-robin needs no directive: nginx's default is the same smooth weighted round-robin.
const BALANCE: Record<StrategyName, string[]> = {
  "round-robin": [],
  "least-conn": ["least_conn;"],
  "random": ["random two least_conn;"],
  "source-hash": ["hash $remote_addr consistent;"],
};

/** nginx has no "never" for a timeout; a week stands in for netlab's 0. */
const NEVER = "7d";
const time = (n: number) => (n === 0 ? NEVER : ms(n));
/** nginx reads a server's fail_timeout in whole seconds only. */
const wholeSeconds = (n: number) => `${Math.max(1, Math.ceil(n / 1000))}s`;

/** Renders an nginx configuration (`stream` block) equivalent to the given balancer options. */
export function nginxConfig(options: NginxConfigOptions): string {
  const o = withDefaults(options);
  if (o.mode === "http") {
    return nginxHttpConfig(
      o,
      options.backends,
      options.strategy ?? "round-robin",
      options.statsPort,
      options.tlsFiles,
    );
  }
  const tls = nginxTls(options.tlsFiles, options.backends, "    ", o.requestTimeoutMs);
  // Open-source nginx checks passively: like netlab (and the HAProxy config's "observe layer4"),
  // fall failed connects take the server out (nginx counts them within fail_timeout, not in a
  // row); it is tried again after fail_timeout, about when netlab's checks (rise good ones,
  // interval apart) would bring it back. Checks off: never out.
  const passive = o.healthIntervalMs > 0
    ? ` max_fails=${o.healthFall} fail_timeout=${wholeSeconds(o.healthRise * o.healthIntervalMs)}`
    : " max_fails=0";
  // Each proxied connection holds two descriptors (client and backend), plus room for listeners.
  const workerConnections = 2 * o.maxConns + 64;
  const lines = [
    generatedBy("nginx"),
    "# Run: nginx -c $PWD/nginx.conf; drain as netlab does on SIGTERM with nginx -s quit (SIGQUIT).",
    "",
    "# The stream module where it is a dynamic one: Debian and Ubuntu (libnginx-mod-stream), Alpine",
    "# (nginx-mod-stream), Fedora and RHEL (nginx-mod-stream). Where it is built in, or for a",
    "# distribution other than these, a pattern that matches nothing is no error.",
    "include /etc/nginx/modules-enabled/*.conf;",
    "include /etc/nginx/modules/*.conf;",
    "include /usr/share/nginx/modules/*.conf;",
    "worker_processes auto;",
    `worker_rlimit_nofile ${2 * workerConnections};`,
    `worker_shutdown_timeout ${ms(o.drainTimeoutMs)};`,
    "",
    "events {",
    `  worker_connections ${workerConnections};`,
    "}",
    "",
    "stream {",
    "  upstream netlab_backends {",
    ...BALANCE[options.strategy ?? "round-robin"].map((l) => `    ${l}`),
    ...options.backends.map((b) =>
      `    server ${formatAddress(b.host, b.port)} weight=${b.weight}${passive};`
    ),
    "  }",
    "",
    "  # --max-conns: one key for the whole listener, so the limit counts every connection",
    "  limit_conn_zone $server_port zone=netlab_conns:1m;",
    "",
    "  server {",
    `    listen ${formatAddress(o.host, o.port)}${tls.listen}${
      o.acceptProxy ? " proxy_protocol" : ""
    };`,
    ...tls.server,
    "    proxy_pass netlab_backends;",
    ...tls.proxy,
    ...(o.sendProxy !== "" ? ["    proxy_protocol on;"] : []),
    `    proxy_connect_timeout ${ms(o.connectTimeoutMs)};`,
    "    # --idle-timeout; nginx has no --fin-timeout: a half-closed session ends after this much",
    "    # silence too",
    `    proxy_timeout ${time(o.idleTimeoutMs)};`,
    "    proxy_half_close on;",
    "    proxy_next_upstream on;",
    `    proxy_next_upstream_tries ${o.retries + 1};`,
    `    limit_conn netlab_conns ${o.maxConns};`,
    "  }",
    "}",
  ];
  if (options.statsPort !== undefined) {
    lines.push(
      "",
      "# --stats-port: nginx's counters as text (for Prometheus, nginx-prometheus-exporter reads them)",
      "http {",
      "  server {",
      `    listen ${formatAddress(o.host, options.statsPort)};`,
      "    location = /stats {",
      "      stub_status;",
      "    }",
      "  }",
      "}",
    );
  }
  return lines.join("\n") + "\n";
}
