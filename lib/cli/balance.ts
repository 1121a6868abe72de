/**
 * `netlab balance`: its flags, grouped by what they govern, and its help; the run is
 * `balance_run.ts`.
 *
 * @module
 */
import { Command, Option, type OptionValues } from "@commander-js/extra-typings";
import { durationArg, integerArg, portArg } from "./args.ts";
import { formatDuration } from "../runtime/duration.ts";
import { EMIT_FORMATS } from "../balancer/emit.ts";
import { BALANCE_MODES, type BalanceMode, BALANCER_DEFAULTS as D } from "../balancer/options.ts";
import { PROXY_VERSIONS } from "../balancer/proxy_protocol.ts";
import { STRATEGY_NAMES, type StrategyName } from "../balancer/strategies/strategy.ts";
import { ENGINE_CHOICES, type EngineChoice } from "../balancer/engines/names.ts";
import type { CliContext } from "./context.ts";
import { logFormatOption } from "./logging.ts";
import { withTlsFlags } from "./balance_tls.ts";
import { runBalance } from "./balance_run.ts";

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

/** Where the balancer listens. */
function addListenOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--host <host>", "address to listen on", D.host)
    .option("--port <port>", "port to listen on (0 picks a free one)", portArg, D.port);
}

/** The backends, how one is chosen, and what is balanced (connections or requests). */
function addBackendOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
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
    );
}

/** `--mode http`: the pooled connections to each backend and their limits. */
function addHttpModeOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
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
    );
}

/** Every connection's timeouts, retries and cap. */
function addConnectionOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
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
    );
}

/** Health checks and when a backend goes out and comes back (`--forwarded` sits among them
 * in --help, where it has always been). */
function addHealthOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
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
    );
}

/** How the balancer runs and stops: its drain, its socket engine, PROXY protocol on either side. */
function addEngineOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
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
    );
}

/** What the balancer prints: stats, an equivalent config, its log. */
function addOutputOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--stats-port <port>", "serve GET /stats (JSON) and /metrics", portArg)
    .addOption(
      new Option("--emit <format>", "print an equivalent config and exit").choices(EMIT_FORMATS),
    )
    .option("-q, --quiet", "no per-connection log lines")
    .addOption(logFormatOption());
}

/** `netlab balance`. */
export function balanceCommand(ctx: CliContext): Command {
  const cmd = withTlsFlags(new Command("balance"))
    .description("TCP load balancer in front of any backends");
  return addOutputOptions(
    addEngineOptions(
      addHealthOptions(
        addConnectionOptions(addHttpModeOptions(addBackendOptions(addListenOptions(cmd)))),
      ),
    ),
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
    .action((opts) => runBalance(ctx, opts)) as unknown as Command;
}
