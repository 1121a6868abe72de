/**
 * `netlab balance`'s run: the parsed flags checked and turned into balancer options, then either
 * an equivalent config printed (`--emit`) or a balancer started, explained in one line if it
 * cannot start, and kept until it finishes.
 *
 * @module
 */
import { type Balancer, ListenFailedError, startBalancer } from "../balancer/balancer.ts";
import { BackendSpecError, formatAddress, parseBackends } from "../balancer/backend_spec.ts";
import { emitConfig, EmitError, type EmitFormat } from "../balancer/emit.ts";
import { parseHealthCheck } from "../balancer/http/health_probe.ts";
import type { BalanceMode, BalancerOptions } from "../balancer/options.ts";
import type { ProxyVersion } from "../balancer/proxy_protocol.ts";
import type { StrategyName } from "../balancer/strategies/strategy.ts";
import type { EngineChoice } from "../balancer/engines/names.ts";
import type { CliContext } from "./context.ts";
import { readBackendsFile, reloadOnHangup } from "./balance_reload.ts";
import { listenError, NetlabError, UsageError } from "../errors.ts";
import { listeningLine, type LogFormat, noticeLine, setupLogging } from "./logging.ts";
import { type BalanceTlsFlags, balanceTlsOptions, emitTlsFiles } from "./balance_tls.ts";

/** The balance flags as commander parses them (durations in milliseconds). */
export interface BalanceFlags extends BalanceTlsFlags {
  host: string;
  port: number;
  backend: string[];
  backendsFile?: string | undefined;
  strategy: StrategyName;
  mode: BalanceMode;
  backendConns: number;
  backendQueue: number;
  serverTimeout: number;
  requestTimeout: number;
  connectTimeout: number;
  idleTimeout: number;
  finTimeout?: number | undefined;
  retries: number;
  maxConns?: number | undefined;
  healthInterval: number;
  healthCheck?: string | undefined;
  healthExpect?: number | undefined;
  forwarded?: true | undefined;
  fall: number;
  rise: number;
  drainTimeout: number;
  engine: EngineChoice;
  sendProxy?: ProxyVersion | undefined;
  acceptProxy?: true | undefined;
  statsPort?: number | undefined;
  emit?: EmitFormat | undefined;
  quiet?: true | undefined;
  logFormat: LogFormat;
}

/** Runs `netlab balance` with its parsed flags: prints a config, or balances until stopped. */
export async function runBalance(ctx: CliContext, opts: BalanceFlags): Promise<void> {
  const options = { ...backendsOf(opts), ...await balancerOptionsFrom(opts) };
  if (opts.forwarded && opts.mode !== "http") {
    throw new UsageError("--forwarded needs --mode http");
  }
  if (opts.emit !== undefined) {
    try {
      ctx.print(emitConfig(opts.emit, { ...options, tlsFiles: emitTlsFiles(opts) }));
    } catch (err) {
      if (err instanceof EmitError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
    return;
  }
  checkEngineFlags(opts, options);
  await setupLogging({ logFormat: opts.logFormat, quiet: opts.quiet ?? false }, ctx.logStream);
  let balancer;
  try {
    balancer = await startBalancer({ ...options, signal: ctx.signal });
  } catch (err) {
    throw startError(opts, options, err);
  }
  announce(ctx, opts, balancer);
  if (opts.backendsFile !== undefined) await reloadOnHangup(balancer, opts.backendsFile);
  else await balancer.finished;
}

/** The backends from `--backend` or `--backends-file` (one of them). */
function backendsOf(opts: BalanceFlags): Pick<BalancerOptions, "backends"> {
  const file = opts.backendsFile;
  if (file !== undefined && opts.backend.length > 0) {
    throw new UsageError("Give --backend or --backends-file, not both");
  }
  try {
    return { backends: file !== undefined ? readBackendsFile(file) : parseBackends(opts.backend) };
  } catch (err) {
    if (err instanceof BackendSpecError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** The balancer's options but its backends, with the TLS files read. */
async function balancerOptionsFrom(
  opts: BalanceFlags,
): Promise<Omit<BalancerOptions, "backends" | "strategy"> & { strategy: StrategyName }> {
  return {
    host: opts.host,
    port: opts.port,
    strategy: opts.strategy,
    mode: opts.mode,
    backendConns: opts.backendConns,
    backendQueue: opts.backendQueue,
    serverTimeoutMs: opts.serverTimeout,
    requestTimeoutMs: opts.requestTimeout,
    ...(opts.healthCheck !== undefined ? { healthCheck: opts.healthCheck } : {}),
    ...(opts.healthExpect !== undefined ? { healthExpect: opts.healthExpect } : {}),
    ...(opts.forwarded ? { forwarded: true } : {}),
    connectTimeoutMs: opts.connectTimeout,
    idleTimeoutMs: opts.idleTimeout,
    retries: opts.retries,
    ...(opts.finTimeout !== undefined ? { finTimeoutMs: opts.finTimeout } : {}),
    ...(opts.maxConns !== undefined ? { maxConns: opts.maxConns } : {}),
    healthIntervalMs: opts.healthInterval,
    healthFall: opts.fall,
    healthRise: opts.rise,
    drainTimeoutMs: opts.drainTimeout,
    engine: opts.engine,
    ...(opts.sendProxy !== undefined ? { sendProxy: opts.sendProxy } : {}),
    ...(opts.acceptProxy ? { acceptProxy: true } : {}),
    ...(opts.statsPort !== undefined ? { statsPort: opts.statsPort } : {}),
    ...await balanceTlsOptions(opts),
  };
}

/** Refuses the flags that need the epoll engine or `--mode http` where they are not. */
function checkEngineFlags(opts: BalanceFlags, options: BalancerOptions): void {
  if (opts.mode === "http" && opts.engine === "deno") {
    throw new UsageError("--mode http runs on the epoll engine only, not --engine deno");
  }
  if (opts.engine === "deno" && (options.tls ?? options.backendTls) !== undefined) {
    throw new UsageError(
      "TLS (--cert, --backend-tls) runs on the epoll engine only: use --engine epoll",
    );
  }
  if (opts.engine === "deno" && (opts.sendProxy !== undefined || opts.acceptProxy)) {
    throw new UsageError(
      "--send-proxy and --accept-proxy run on the epoll engine, not --engine deno",
    );
  }
  if (opts.mode !== "http" && (opts.healthCheck ?? opts.healthExpect) !== undefined) {
    throw new UsageError("--health-check and --health-expect need --mode http");
  }
  if (opts.healthCheck !== undefined) {
    try {
      parseHealthCheck(opts.healthCheck);
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
  }
}

/** What to throw for a balancer that could not start: one line that says why. */
function startError(opts: BalanceFlags, options: BalancerOptions, err: unknown): unknown {
  const proxy = opts.sendProxy !== undefined || opts.acceptProxy;
  const tls = (options.tls ?? options.backendTls) !== undefined;
  if (err instanceof TypeError && (opts.mode === "http" || proxy || tls)) {
    return new NetlabError(err.message, { cause: err });
  }
  if (tls && err instanceof Error && !(err instanceof ListenFailedError)) {
    const where = formatAddress(opts.host, opts.port);
    return new NetlabError(`Cannot balance TLS on ${where}: ${err.message}`, { cause: err });
  }
  if (!(err instanceof ListenFailedError)) return err;
  if (err.cause instanceof Deno.errors.NotCapable) return err.cause;
  const mapped = listenError(err.host, err.port, err.cause);
  if (mapped !== err.cause && err.listener === "stats" && mapped instanceof Error) {
    // say which of the two ports it was: the stats port is easy to forget
    return new NetlabError(
      mapped.message.replace(/^(Cannot listen on \S+):/, "$1 (--stats-port):"),
      { cause: err },
    );
  }
  if (mapped !== err.cause) return mapped;
  // e.g. a --host that does not resolve: still one line that says why
  const why = err.cause instanceof Error ? err.cause.message : String(err.cause);
  return new NetlabError(`${err.message}: ${why}`, { cause: err });
}

/** Tells the parent (ready line) and, under `--quiet`, the user where the balancer listens. */
function announce(ctx: CliContext, opts: BalanceFlags, balancer: Balancer): void {
  ctx.ready?.({
    command: "balance",
    host: balancer.addr.hostname,
    port: balancer.addr.port,
    ...(balancer.statsAddr !== undefined ? { statsPort: balancer.statsAddr.port } : {}),
  });
  // --quiet drops info records, but tools still need to learn the port
  if (!opts.quiet) return;
  const { hostname, port } = balancer.addr;
  const url = `${formatAddress(hostname, port)} (${balancer.describe()})`;
  ctx.printErr(listeningLine("balance", url, opts.logFormat));
  const stats = balancer.statsAddr;
  if (stats !== undefined) {
    const url = `http://${formatAddress(stats.hostname, stats.port)}/stats`;
    ctx.printErr(noticeLine("balance", `stats on ${url} and /metrics`, opts.logFormat, { url }));
  }
}
