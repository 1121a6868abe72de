/**
 * What a balancer is built of, from its options: the settings, the strategy, the backends, the
 * health checker (TCP connects, or `--health-check` requests) and the engine, refusing what the
 * engine chosen cannot do.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { Backend } from "./backend.ts";
import { HealthChecker } from "./health.ts";
import {
  type BalancerOptions,
  type BalancerSettings,
  checkDurations,
  withDefaults,
} from "./options.ts";
import { createStrategy, type Strategy } from "./strategies/mod.ts";
import type { Counters, SessionContext } from "./engines/frontend.ts";
import { type EngineSelection, selectEngine } from "./engines/select.ts";
import { selectHttpEngine } from "./http/select.ts";
import { httpProbe, parseHealthCheck, type ProbeTls } from "./http/health_probe.ts";

/** The parts of one balancer, made from its options. */
export interface BalancerParts {
  settings: BalancerSettings;
  strategy: Strategy;
  backends: Backend[];
  health: HealthChecker;
  engine: EngineSelection;
  /** What every session shares (no TLS yet: it is opened when the balancer listens). */
  context: SessionContext;
}

/**
 * Makes a balancer's parts from its options (`probeTls` as for {@link healthChecker}).
 *
 * @throws {TypeError} for no backends, or options the engine chosen cannot run
 * @throws {RangeError} for a duration over 2^31-1 ms (timers cannot wait that long)
 */
export function assemble(
  options: BalancerOptions,
  log: Logger,
  counters: Counters,
  probeTls: (() => ProbeTls) | undefined,
): BalancerParts {
  if (options.backends.length === 0) throw new TypeError("A balancer needs at least one backend");
  const settings = withDefaults(options);
  checkDurations(settings);
  const s = options.strategy ?? "round-robin";
  const strategy = typeof s === "string" ? createStrategy(s) : s;
  const backends = options.backends.map((spec) => new Backend(spec));
  const health = healthChecker(backends, settings, log, probeTls);
  const hosts = [settings.host, ...backends.map((b) => b.host)];
  const engine = chooseEngine(options, settings, hosts, log);
  const context: SessionContext = {
    backends,
    strategy,
    settings,
    health,
    log,
    counters,
    tls: null,
    backendTls: null,
  };
  return { settings, strategy, backends, health, engine, context };
}

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
