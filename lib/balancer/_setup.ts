/**
 * What a balancer is built of, from its options: the health checker (TCP connects, or
 * `--health-check` requests) and the engine, refusing what the engine chosen cannot do.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "./backend.ts";
import { HealthChecker } from "./health.ts";
import type { BalancerOptions, BalancerSettings } from "./options.ts";
import { type EngineSelection, selectEngine } from "./engines/select.ts";
import { selectHttpEngine } from "./http/select.ts";
import { httpProbe, parseHealthCheck, type ProbeTls } from "./http/health_probe.ts";

/**
 * The health checker of `backends`: TCP connects, or the `--health-check` request (over the
 * backends' TLS with `probeTls`, asked for when a probe runs).
 */
export function healthChecker(
  backends: readonly Backend[],
  o: BalancerSettings,
  log: Logger,
  probeTls: (() => ProbeTls) | undefined,
): HealthChecker {
  return new HealthChecker(backends, {
    intervalMs: o.healthIntervalMs,
    timeoutMs: o.connectTimeoutMs,
    rise: o.healthRise,
    fall: o.healthFall,
    logger: log,
    ...(o.healthCheck !== ""
      ? {
        probe: httpProbe(parseHealthCheck(o.healthCheck), o.healthExpect || undefined, probeTls),
      }
      : {}),
  });
}

/**
 * The engine for these options (a fallback's notice logged as a warning).
 *
 * @throws {TypeError} when the deno engine runs and the options ask for what only epoll does
 *   (PROXY headers, TLS)
 */
export function chooseEngine(
  options: BalancerOptions,
  o: BalancerSettings,
  hosts: readonly string[],
  log: Logger,
): EngineSelection {
  const engine = o.mode === "http"
    ? selectHttpEngine(options.engine ?? "auto", hosts, o)
    : selectEngine(options.engine ?? "auto", hosts);
  if (engine.notice) log.warn(engine.notice);
  if (engine.name === "deno" && (o.sendProxy !== "" || o.acceptProxy)) {
    throw new TypeError(
      "--send-proxy and --accept-proxy run on the epoll engine only, not the deno engine",
    );
  }
  if (engine.name === "deno" && (options.tls ?? options.backendTls) !== undefined) {
    throw new TypeError(
      "TLS (--cert, --backend-tls) runs on the epoll engine only: use --engine epoll",
    );
  }
  return engine;
}
