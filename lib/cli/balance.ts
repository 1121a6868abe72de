/**
 * `netlab balance`: flags to options, options to a running balancer (or to an HAProxy config).
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { durationArg, integerArg, portArg } from "./args.ts";
import { formatDuration } from "../runtime/duration.ts";
import { ListenFailedError, startBalancer } from "../balancer/balancer.ts";
import { BackendSpecError, formatAddress, parseBackends } from "../balancer/backend_spec.ts";
import { EMIT_FORMATS, emitConfig, EmitError } from "../balancer/emit.ts";
import { parseHealthCheck } from "../balancer/http/health_probe.ts";
import { BALANCE_MODES, type BalanceMode, BALANCER_DEFAULTS as D } from "../balancer/options.ts";
import { PROXY_VERSIONS, type ProxyVersion } from "../balancer/proxy_protocol.ts";
import { STRATEGY_NAMES, type StrategyName } from "../balancer/strategies/strategy.ts";
import { ENGINE_CHOICES, type EngineChoice } from "../balancer/engines/names.ts";
import type { CliContext } from "./context.ts";
import { readBackendsFile, reloadOnHangup } from "./balance_reload.ts";
import { listenError, NetlabError, UsageError } from "../errors.ts";
import { listeningLine, type LogFormat, noticeLine, setupLogging } from "./logging.ts";
import {
  type BalanceTlsFlags,
  balanceTlsOptions,
  emitTlsFiles,
  withTlsFlags,
} from "./balance_tls.ts";

/** A flag taking a duration (bare number: seconds), parsed to milliseconds. */
function durationFlag<Flags extends `--${string} <duration>`>(
  flags: Flags,
  description: string,
  defaultMs: number,
  minMs = 0,
) {
  return new Option(flags, description).argParser(durationArg("s", minMs)).default(
    defaultMs,
    formatDuration(defaultMs),
  );
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `netlab balance`. */
export function balanceCommand(ctx: CliContext): Command {
  return withTlsFlags(new Command("balance"))
    .description("TCP load balancer in front of any backends")
    .option("--host <host>", "address to listen on", D.host)
    .option("--port <port>", "port to listen on (0 picks a free one)", portArg, D.port)
    .option(
      "--backend <spec>",
      "backend HOST:PORT; repeat it, or use comma lists, port ranges HOST:FIRST-LAST, " +
        "[IPv6]:PORT and a weight suffix @N (e.g. 127.0.0.1:9002-9005@2)",
      collect,
      [] as string[],
    )
    .option(
      "--backends-file <file>",
      "backends in the --backend syntax, one per line (# comments); re-read on SIGHUP",
    )
    .addOption(
      new Option("--strategy <name>", "how a backend is chosen").choices(STRATEGY_NAMES)
        .default("round-robin" as StrategyName),
    )
    .addOption(
      new Option(
        "--mode <mode>",
        "tcp: balance connections; http: balance every request over pooled keep-alive connections",
      ).choices(BALANCE_MODES).default("tcp" as BalanceMode),
    )
    .option(
      "--backend-conns <n>",
      "http mode: connections open to each backend at most (then requests queue)",
      integerArg(1, 100_000),
      D.backendConns,
    )
    .option(
      "--backend-queue <n>",
      "http mode: requests that may wait for a connection to one backend (then 503)",
      integerArg(0, 1_000_000),
      D.backendQueue,
    )
    .addOption(
      durationFlag(
        "--server-timeout <duration>",
        "http mode: answer 504 when a backend is silent this long",
        D.serverTimeoutMs,
        1,
      ),
    )
    .addOption(
      durationFlag(
        "--request-timeout <duration>",
        "http mode: answer 408 when a request head takes longer",
        D.requestTimeoutMs,
        1,
      ),
    )
    .addOption(
      durationFlag(
        "--connect-timeout <duration>",
        "how long to wait for a backend to accept",
        D.connectTimeoutMs,
        1,
      ),
    )
    .addOption(
      durationFlag(
        "--idle-timeout <duration>",
        "close connections idle this long (0: never)",
        D.idleTimeoutMs,
      ),
    )
    .addOption(
      new Option(
        "--fin-timeout <duration>",
        "after a FIN, close when idle this long (default: the idle timeout governs)",
      ).argParser(durationArg("s")),
    )
    .option(
      "--retries <n>",
      "other backends to try when a connect fails",
      integerArg(0, 100),
      D.retries,
    )
    .addOption(
      new Option(
        "--max-conns <n>",
        `close new connections beyond this many (default: ${D.maxConns}, or what the ` +
          "descriptor limit holds)",
      ).argParser(integerArg(1, 1e7)),
    )
    .addOption(
      durationFlag(
        "--health-interval <duration>",
        "time between health checks (0: off)",
        D.healthIntervalMs,
      ),
    )
    .option(
      "--health-check <request>",
      "http mode: health checks send this request, e.g. 'GET /health' (default: a TCP connect)",
    )
    .option(
      "--health-expect <status>",
      "http mode: the status a health check must get (default: any 2xx or 3xx)",
      integerArg(100, 599),
    )
    .option(
      "--forwarded",
      "http mode: also set X-Forwarded-Proto and append a Forwarded element (RFC 7239) " +
        "(X-Forwarded-For is always appended)",
    )
    .option(
      "--fall <n>",
      "take a backend out after this many failed connects (or checks) in a row",
      integerArg(1, 1000),
      D.healthFall,
    )
    .option(
      "--rise <n>",
      "bring a backend back after this many good health checks in a row",
      integerArg(1, 1000),
      D.healthRise,
    )
    .addOption(
      durationFlag(
        "--drain-timeout <duration>",
        "on SIGINT/SIGTERM, let connections finish for",
        D.drainTimeoutMs,
      ),
    )
    .addOption(
      new Option(
        "--engine <name>",
        "socket engine: epoll (Linux, FFI; less CPU), deno (portable), auto (epoll if it can)",
      ).choices(ENGINE_CHOICES).default("auto" as EngineChoice),
    )
    .addOption(
      new Option(
        "--send-proxy <version>",
        "start every backend connection with a PROXY protocol header naming the client " +
          "(v1 text, v2 binary; HAProxy's send-proxy / send-proxy-v2)",
      ).choices(PROXY_VERSIONS),
    )
    .option(
      "--accept-proxy",
      "clients must start with a PROXY header (v1 or v2); its address is the client's",
    )
    .option("--stats-port <port>", "serve GET /stats (JSON) and /metrics", portArg)
    .addOption(
      new Option("--emit <format>", "print an equivalent config and exit").choices(EMIT_FORMATS),
    )
    .option("-q, --quiet", "no per-connection log lines")
    .addOption(
      new Option("--log-format <format>", "log format").choices(["text", "json"] as const)
        .default("text" as LogFormat),
    )
    .addHelpText(
      "after",
      `
Examples:
  netlab balance --backend 127.0.0.1:9002-9005      the lab's four servers, round-robin on 44444
  netlab balance --port 8080 --backend 10.0.0.1:80@3,10.0.0.2:80 --strategy least-conn
  netlab balance --backend 127.0.0.1:9002-9005 --stats-port 8404 -q
                                                    GET /stats and /metrics on port 8404
  netlab balance --backend 127.0.0.1:9002-9005 --emit haproxy > haproxy.cfg
  netlab balance --mode http --backend 127.0.0.1:9002-9005
                                                    every request to the next backend
  netlab balance --mode http --forwarded --backend 127.0.0.1:9002
                                                    X-Forwarded-Proto and Forwarded too
  netlab balance --accept-proxy --send-proxy v2 --backend 127.0.0.1:9002
                                                    behind and in front of PROXY protocol peers
  netlab balance --cert cert.pem --key key.pem --backend 127.0.0.1:9002
                                                    HTTPS in front of a plain backend

Backends:
  --backend 127.0.0.1:9002 --backend 127.0.0.1:9003   repeated
  --backend 127.0.0.1:9002,127.0.0.1:9003             comma list
  --backend 127.0.0.1:9002-9005                       port range (four backends)
  --backend 127.0.0.1:9002@3 --backend [::1]:9003     weight 3 (default: 1), IPv6 in brackets
  --backends-file backends.txt                        the same, one per line; kill -HUP re-reads it`,
    )
    .action(async (opts) => {
      let backends;
      const file = opts.backendsFile;
      if (file !== undefined && opts.backend.length > 0) {
        throw new UsageError("Give --backend or --backends-file, not both");
      }
      try {
        backends = file !== undefined ? readBackendsFile(file) : parseBackends(opts.backend);
      } catch (err) {
        if (err instanceof BackendSpecError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      const options = {
        backends,
        host: opts.host,
        port: opts.port,
        strategy: opts.strategy,
        mode: opts.mode as BalanceMode,
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
        engine: opts.engine as EngineChoice,
        ...(opts.sendProxy !== undefined ? { sendProxy: opts.sendProxy as ProxyVersion } : {}),
        ...(opts.acceptProxy ? { acceptProxy: true } : {}),
        ...(opts.statsPort !== undefined ? { statsPort: opts.statsPort } : {}),
        ...await balanceTlsOptions(opts as BalanceTlsFlags),
      };
      if (opts.forwarded && opts.mode !== "http") {
        throw new UsageError("--forwarded needs --mode http");
      }
      if (opts.emit !== undefined) {
        try {
          const tlsFiles = emitTlsFiles(opts as BalanceTlsFlags);
          ctx.print(emitConfig(opts.emit, { ...options, tlsFiles }));
        } catch (err) {
          if (err instanceof EmitError) throw new UsageError(err.message, { cause: err });
          throw err;
        }
        return;
      }
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
      await setupLogging({ logFormat: opts.logFormat, quiet: opts.quiet ?? false }, ctx.logStream);
      let balancer;
      try {
        balancer = await startBalancer({ ...options, signal: ctx.signal });
      } catch (err) {
        const proxy = opts.sendProxy !== undefined || opts.acceptProxy;
        const tls = (options.tls ?? options.backendTls) !== undefined;
        if (err instanceof TypeError && (opts.mode === "http" || proxy || tls)) {
          throw new NetlabError(err.message, { cause: err });
        }
        if (tls && err instanceof Error && !(err instanceof ListenFailedError)) {
          const where = formatAddress(opts.host, opts.port);
          throw new NetlabError(`Cannot balance TLS on ${where}: ${err.message}`, { cause: err });
        }
        if (!(err instanceof ListenFailedError)) throw err;
        if (err.cause instanceof Deno.errors.NotCapable) throw err.cause;
        const mapped = listenError(err.host, err.port, err.cause);
        if (mapped !== err.cause && err.listener === "stats" && mapped instanceof Error) {
          // say which of the two ports it was: the stats port is easy to forget
          throw new NetlabError(
            mapped.message.replace(/^(Cannot listen on \S+):/, "$1 (--stats-port):"),
            { cause: err },
          );
        }
        if (mapped !== err.cause) throw mapped;
        // e.g. a --host that does not resolve: still one line that says why
        const why = err.cause instanceof Error ? err.cause.message : String(err.cause);
        throw new NetlabError(`${err.message}: ${why}`, { cause: err });
      }
      ctx.ready?.({
        command: "balance",
        host: balancer.addr.hostname,
        port: balancer.addr.port,
        ...(balancer.statsAddr !== undefined ? { statsPort: balancer.statsAddr.port } : {}),
      });
      // --quiet drops info records, but tools still need to learn the port
      if (opts.quiet) {
        const { hostname, port } = balancer.addr;
        const url = `${formatAddress(hostname, port)} (${balancer.describe()})`;
        ctx.printErr(listeningLine("balance", url, opts.logFormat));
        const stats = balancer.statsAddr;
        if (stats !== undefined) {
          const url = `http://${formatAddress(stats.hostname, stats.port)}/stats`;
          ctx.printErr(
            noticeLine("balance", `stats on ${url} and /metrics`, opts.logFormat, { url }),
          );
        }
      }
      if (file !== undefined) await reloadOnHangup(balancer, file);
      else await balancer.finished;
    }) as unknown as Command;
}
