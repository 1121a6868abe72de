/**
 * The TCP load balancer of `netlab balance`: {@linkcode startBalancer}, the `--backend` syntax
 * ({@linkcode parseBackends}), the strategies, the proxy loop, health checks, stats and the HAProxy
 * export.
 *
 * @example Parse backends and write the equivalent HAProxy configuration
 * ```ts
 * import { haproxyConfig, parseBackends } from "@netlab/netlab/balancer";
 *
 * const backends = parseBackends(["127.0.0.1:9002-9003@2"]);
 * console.log(backends.length); // 2
 * console.log(haproxyConfig({ backends }).includes("server b1 127.0.0.1:9002 weight 2")); // true
 * ```
 *
 * @module
 */

export { Balancer, ListenFailedError, startBalancer } from "./balancer.ts";
export type { BalancerOptions } from "./balancer.ts";
export type { EngineChoice, EngineName } from "./engines/names.ts";
export { BackendSpecError, formatAddress, parseBackends } from "./backend_spec.ts";
export type { BackendSpec } from "./backend_spec.ts";
export {
  createStrategy,
  LeastConn,
  RandomTwoChoices,
  RoundRobin,
  SourceHash,
  STRATEGY_NAMES,
} from "./strategies/mod.ts";
export type { Pickable, Strategy, StrategyName } from "./strategies/mod.ts";
export { DEFAULT_BUFFER_SIZE, proxy } from "./proxy.ts";
export type { EndReason, ProxyOptions, ProxyResult, Traffic } from "./proxy.ts";
export { HealthChecker } from "./health.ts";
export type { HealthOptions } from "./health.ts";
export { Backend } from "./backend.ts";
export type { BackendState } from "./backend.ts";
export { createStatsHandler, renderMetrics } from "./stats.ts";
export type { BackendStats, BalancerStats } from "./stats.ts";
export { haproxyConfig } from "./haproxy.ts";
export type { HaproxyConfigOptions } from "./haproxy.ts";
export { nginxConfig } from "./nginx.ts";
export type { NginxConfigOptions } from "./nginx.ts";
