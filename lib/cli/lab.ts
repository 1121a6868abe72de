/**
 * `netlab lab`: its flags, grouped by what they govern, their value parsers, and its help; the run
 * is `lab_run.ts`.
 *
 * @module
 */
import { Command, Option, type OptionValues } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { durationArg, integerArg } from "./args.ts";
import { UsageError } from "../errors.ts";
import { parseAnchors } from "../lab/_anchors.ts";
import { runLabCommand } from "./lab_run.ts";

/**
 * {@linkcode integerArg} for values parsed outside commander (a list's items), so its error names
 * the flag itself.
 */
export function parseInteger(flag: string, min: number, max: number): (v: string) => number {
  const parse = integerArg(min, max);
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new UsageError(`Invalid ${flag} "${value}": ${(err as Error).message}`, { cause: err });
    }
  };
}

const parsePort = (flag: string) => parseInteger(flag, 0, 65535);

/** `1,5,10` -> [1, 5, 10]; each level from 1 to 10000. */
export function parseLevels(value: string): number[] {
  const levels = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  if (levels.length === 0) throw new UsageError(`--concurrency-levels needs at least one level`);
  return levels.map(parseInteger("--concurrency-levels", 1, 10_000));
}

/** `9002-9005` or `9002,9003` or `0,0,0,0` -> ports; 1 to 64 of them. */
export function parsePortList(value: string): number[] {
  const port = parsePort("--backend-ports");
  const ports = value.split(",").map((v) => v.trim()).filter((v) => v !== "").flatMap((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (!range) return [port(part)];
    const [from, to] = [port(range[1]!), port(range[2]!)];
    if (from === 0 || to < from) {
      throw new UsageError(
        `Invalid --backend-ports range "${part}": expected FIRST-LAST, FIRST above 0`,
      );
    }
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
  if (ports.length < 1 || ports.length > 64) {
    throw new UsageError(`--backend-ports needs 1 to 64 ports, not ${ports.length}`);
  }
  return ports;
}

/** The bench matrix: requests per run, runs per cell, warm-up, anchors, levels, keep-alive. */
function addMatrixOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("-n, --requests <n>", "requests per run", parseInteger("-n", 1, 10_000_000), 1000)
    .option(
      "--repeat <n>",
      "runs per cell; the servers take turns in a rotating order",
      parseInteger("--repeat", 1, 1000),
      3,
    )
    .option(
      "--warmup <n>",
      "untimed requests each server gets before its first run",
      parseInteger("--warmup", 0, 1_000_000),
      100,
    )
    .option(
      "--anchors <list>",
      "references beside netlab: auto (every installed one), none, or nginx,haproxy",
      parseAnchors,
      "auto" as const,
    )
    .addOption(
      new Option("--concurrency-levels <list>", "concurrency levels to run, comma-separated")
        .argParser(parseLevels).default([1, 5, 10, 20, 50, 100] as number[], "1,5,10,20,50,100"),
    )
    .option("-k, --keepalive", "reuse connections (HTTP keep-alive), like ab -k", false);
}

/** What the servers run: the pool's size and the CPU-bound route. */
function addServerOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option(
      "--workers <n>",
      "worker pool size (default: number of CPUs)",
      parseInteger("--workers", 1, 256),
    )
    .option("--demo-routes", "also bench the CPU-bound route /_netlab/work?ms=N", false)
    .addOption(
      new Option("--work-ms <duration>", "CPU time per request on the CPU-bound route")
        .argParser(durationArg("ms", 0, 1000)).default(5, "5ms"),
    );
}

/** Where every server, the balancer and its stats listen, and how the balancer spreads load. */
function addAddressOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--host <host>", "address every server listens on", "127.0.0.1")
    .addOption(
      new Option("--backend-ports <list>", "ports of the async servers behind the balancer")
        .argParser(parsePortList).default([9002, 9003, 9004, 9005] as number[], "9002-9005"),
    )
    .option("--balancer-port <port>", "port of the balancer", parsePort("--balancer-port"), 44444)
    .addOption(
      new Option(
        "--balancer-mode <mode>",
        "tcp: the balancer spreads connections; http: it spreads every request (with -k too)",
      ).choices(["tcp", "http"] as const).default("tcp" as const),
    )
    .option(
      "--async-port <port>",
      "port of the standalone async server",
      parsePort("--async-port"),
      45000,
    )
    .option("--pool-port <port>", "port of the worker pool", parsePort("--pool-port"), 46000)
    .option(
      "--stats-port <port>",
      "port of the balancer's stats endpoint (0: any free port)",
      parsePort("--stats-port"),
      0,
    );
}

/** The progress lines: none, text or JSON. */
function addProgressOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("-q, --quiet", "no progress lines, only the report", false)
    .addOption(
      new Option("--log-format <format>", "progress lines as text or as JSON lines").choices(
        ["text", "json"] as const,
      ).default(
        "text" as const,
      ),
    );
}

/** `netlab lab`: the whole experiment in one command. */
export function labCommand(ctx: CliContext): Command {
  const cmd = new Command("lab")
    .description(
      "Start four async servers behind a balancer, a standalone async server and a worker pool, " +
        "bench them at several concurrency levels, and write report.md, results.json and report.html.",
    )
    .option(
      "-o, --out <dir>",
      "folder for the reports: each lab writes its own timestamped folder, linked as latest",
      "lab-report",
    );
  const withServers = addAddressOptions(addServerOptions(addMatrixOptions(cmd)))
    .addOption(
      new Option("--engine <engine>", "bench engine: raw counts bytes on the wire like ab")
        .choices(["raw", "fetch"] as const).default("raw" as const),
    );
  return addProgressOptions(withServers)
    .addHelpText(
      "after",
      `
Examples:
  netlab lab                                   the lab on its usual ports, report in lab-report/latest/
  netlab lab -n 200 --concurrency-levels 1,10  a quicker lab
  netlab lab --repeat 5 --anchors none         more runs per cell, no nginx or HAProxy rows
  netlab lab -k --demo-routes --workers 4      keep-alive, plus the CPU-bound route
  netlab lab --backend-ports 0,0,0,0 --balancer-port 0 --async-port 0 --pool-port 0
                                               any free ports

Ports: a default port that is busy gives way to a free one, and the lab says which; a port given
on the command line must be free (or only held by TIME-WAIT, which the lab waits out) or the lab
stops with an error naming its flag.`,
    )
    .action((opts, cmd) =>
      runLabCommand(ctx, opts, (name) => cmd.getOptionValueSource(name) === "cli")
    ) as unknown as Command;
}
