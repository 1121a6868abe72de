/**
 * `netlab balance --emit haproxy`: the same balancer as an HAProxy configuration, for when one
 * machine is no longer enough.
 *
 * @module
 */
import { formatAddress } from "./backend_spec.ts";
import { type EmitOptions, generatedBy, ms } from "./_emit.ts";
import { type BalancerSettings, withDefaults } from "./options.ts";
import { parseHealthCheck } from "./http/health_probe.ts";
import type { StrategyName } from "./strategies/strategy.ts";
import { haproxyTls } from "./_emit_tls.ts";

/**
 * What the HAProxy configuration is generated from: the balancer's own options (times in
 * milliseconds), with the strategy given by name.
 */
export type HaproxyConfigOptions = EmitOptions;

const BALANCE: Record<StrategyName, string[]> = {
  "round-robin": ["balance roundrobin"],
  "least-conn": ["balance leastconn"],
  "random": ["balance random(2)"],
  "source-hash": ["balance source", "hash-type consistent"],
};

/** `mode http`'s defaults: connections reused, the forwarding fields, its own timeouts. */
function httpDefaults(o: BalancerSettings): string[] {
  return [
    // netlab gives each client its own backend connections when they carry its PROXY header
    o.sendProxy !== "" ? "  http-reuse never" : "  http-reuse safe",
    "  option forwardfor",
    `  timeout http-request ${ms(o.requestTimeoutMs)}`,
    `  timeout http-keep-alive ${ms(o.idleTimeoutMs)}`,
    `  timeout queue ${ms(o.connectTimeoutMs)}`,
  ];
}

/**
 * `--forwarded`: X-Forwarded-Proto set and the client's RFC 7239 element added, as netlab writes
 * it (an IPv6 address quoted in brackets, `host` only when the request names one). HAProxy 2.6
 * has no `option forwarded` (2.8 has): one `add-header` per case.
 */
function forwardedHeaders(proto: "http" | "https"): string[] {
  const lines = [`  http-request set-header X-Forwarded-Proto ${proto}`];
  for (const v4 of [true, false]) {
    for (const host of [true, false]) {
      const node = v4 ? "for=%[src]" : 'for=\\"[%[src]]\\"';
      const value = `${node}${host ? ';host=\\"%[req.hdr(host)]\\"' : ""};proto=${proto}`;
      const cond = `${v4 ? "" : "!"}{ src 0.0.0.0/0 } ${host ? "" : "!"}{ req.hdr(host) -m found }`;
      lines.push(`  http-request add-header Forwarded "${value}" if ${cond}`);
    }
  }
  return lines;
}

/** `--health-check 'GET /health'` (and `--health-expect`) as HAProxy's httpchk. */
function httpCheck(spec: string, expect: number): string[] {
  const { method, path } = parseHealthCheck(spec);
  return [
    "  option httpchk",
    `  http-check send meth ${method} uri ${path}`,
    expect > 0 ? `  http-check expect status ${expect}` : "  http-check expect status 200-399",
  ];
}

/**
 * Renders an HAProxy configuration (`mode tcp`, or `mode http` for the http mode) equivalent to the given balancer options.
 *
 * @param options The same shape as {@linkcode BalancerOptions}, minus runtime-only fields.
 * @returns The configuration text.
 *
 * @example
 * ```ts
 * import { haproxyConfig, parseBackends } from "@netlab/netlab/balancer";
 *
 * const text = haproxyConfig({ backends: parseBackends(["127.0.0.1:9002-9005"]), port: 44444 });
 * console.log(text.includes("balance roundrobin")); // true
 * ```
 */
export function haproxyConfig(options: HaproxyConfigOptions): string {
  const o = withDefaults(options);
  const http = o.mode === "http";
  // like netlab, fall failed client connects in a row take a checked server out (observe
  // layer4); in http mode, 10 failed responses in a row do (observe layer7)
  const observe = http
    ? "observe layer7 error-limit 10"
    : `observe layer4 error-limit ${o.healthFall}`;
  const check = o.healthIntervalMs > 0
    ? ` check inter ${ms(o.healthIntervalMs)} rise ${o.healthRise} fall ${o.healthFall}` +
      ` ${observe} on-error mark-down`
    : "";
  const send = o.sendProxy === "v1" ? " send-proxy" : o.sendProxy === "v2" ? " send-proxy-v2" : "";
  const tls = haproxyTls(options.tlsFiles);
  const pool = (http ? ` maxconn ${o.backendConns} maxqueue ${o.backendQueue}` : "") + send +
    tls.server;
  const idle = ms(o.idleTimeoutMs);
  // no fin timeout set: HAProxy's own default, the client/server timeout, governs (as in netlab)
  const fin = o.finTimeoutMs > 0
    ? [`  timeout client-fin ${ms(o.finTimeoutMs)}`, `  timeout server-fin ${ms(o.finTimeoutMs)}`]
    : [];
  const lines = [
    generatedBy("haproxy"),
    "global",
    // no global maxconn: HAProxy derives it from the fd limit, and a global 10000 needs a limit
    // above 20000 or HAProxy refuses to start; the frontend's maxconn is what --max-conns means
    "  # --drain-timeout: stop HAProxy with SIGUSR1 (soft stop) to drain; SIGTERM stops at once",
    `  hard-stop-after ${ms(o.drainTimeoutMs)}`,
    ...tls.global,
    "",
    "defaults",
    `  mode ${o.mode}`,
    ...(http ? httpDefaults(o) : []),
    // every retry goes to another server, as netlab's do (plain "option redispatch": the last only)
    "  option redispatch 1",
    `  retries ${o.retries}`,
    `  timeout connect ${ms(o.connectTimeoutMs)}`,
    `  timeout client ${idle}`,
    `  timeout server ${http ? ms(o.serverTimeoutMs) : idle}`,
    ...fin,
    "",
    "frontend netlab",
    ...tls.notes,
    `  bind ${formatAddress(o.host, o.port)}${o.acceptProxy ? " accept-proxy" : ""}${tls.bind}`,
    `  maxconn ${o.maxConns}`,
    ...(http && o.forwarded ? forwardedHeaders(tls.bind !== "" ? "https" : "http") : []),
    "  default_backend netlab_backends",
    "",
    "backend netlab_backends",
    ...BALANCE[options.strategy ?? "round-robin"].map((l) => `  ${l}`),
    ...(http && o.healthCheck !== "" ? httpCheck(o.healthCheck, o.healthExpect) : []),
    ...tls.serverNotes,
    ...options.backends.map((b, i) =>
      `  server b${i + 1} ${formatAddress(b.host, b.port)} weight ${b.weight}${pool}${check}`
    ),
  ];
  if (options.statsPort !== undefined) {
    lines.push(
      "",
      "frontend stats",
      "  mode http",
      `  bind ${formatAddress(o.host, options.statsPort)}`,
      "  timeout client 10s",
      "  http-request use-service prometheus-exporter if { path /metrics }",
      "  stats enable",
      "  stats uri /stats",
    );
  }
  return lines.join("\n") + "\n";
}
