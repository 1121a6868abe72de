import { Command, Option } from "@commander-js/extra-typings";
import { getLogger } from "@logtape/logtape";
import type { CliContext } from "./context.ts";
import { durationArg, integerArg } from "./args.ts";
import { NetlabError, UsageError } from "../errors.ts";
import { type LogFormat, setupLogging } from "./logging.ts";
import { parseAnchors } from "../lab/_anchors.ts";
import { type LabProgress, labRoutes, runLab } from "../lab/lab.ts";
import type { LabResult } from "../lab/types.ts";
import { renderLabMarkdown } from "../lab/report_md.ts";
import { counted } from "../runtime/text.ts";

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

function progressLine(event: LabProgress & { kind: "run" }, routeWidth: number): string {
  const { cell: { model, route }, run: r } = event;
  const width = String(event.total).length;
  const p99 = r.percentiles["99"];
  return `[${String(event.index).padStart(width)}/${event.total}] ${model.padEnd(10)} ${
    route.padEnd(routeWidth)
  } c=${String(r.concurrency).padEnd(4)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${
    p99 === undefined ? "-" : `${p99.toFixed(1)} ms`
  }  ${r.failed} failed${r.client.saturated ? "  client-bound" : ""}`;
}

/** Turns a file-system error on the output directory into a one-line error. */
function reportError(dir: string): (err: unknown) => never {
  return (err) => {
    const expected = [
      Deno.errors.PermissionDenied,
      Deno.errors.NotFound,
      Deno.errors.AlreadyExists,
      Deno.errors.NotADirectory,
    ];
    if (expected.some((type) => err instanceof type)) {
      const why = (err as Error).message.replace(/ \(os error \d+\).*$/, "");
      throw new NetlabError(`Cannot write the report to "${dir}": ${why}`, { cause: err });
    }
    throw err;
  };
}

/** Says one line: plain text for people, or a JSON record with `--log-format json`. */
type Say = (text: string, properties: Record<string, unknown>) => void;

/** The lab's progress lines; with --quiet only a moved port is worth one. */
function progressPrinter(
  quiet: boolean,
  say: Say,
  routeWidth: number,
): (event: LabProgress) => void {
  return (event) => {
    // a port other than the one the user expects is worth a line even with --quiet
    if (quiet && event.kind !== "moved") return;
    if (event.kind === "ready") {
      for (const s of event.servers) {
        say(`started the ${s.name} on ${s.address} (pid ${s.pid})`, { ...s });
      }
    } else if (event.kind === "run") {
      const { cell: { model, route }, run: r } = event;
      say(progressLine(event, routeWidth), {
        index: event.index,
        total: event.total,
        model,
        route,
        concurrency: r.concurrency,
        requestsPerSecond: r.requestsPerSecond,
        p99Ms: r.percentiles["99"] ?? null,
        failed: r.failed,
        clientCpuPercent: r.client.cpuPercent,
      });
    } else if (event.kind === "interrupted") {
      say(`stopping early: ${event.reason}`, { reason: event.reason });
    } else if (event.kind === "moved") {
      say(
        `port ${event.wanted} is busy: the ${event.server} listens on ${event.address} instead (give ${event.flag} to insist on a port)`,
        { ...event },
      );
    } else if (event.kind === "waiting") {
      say(
        `port ${event.port} is still held by closed connections in TIME-WAIT; waiting for the kernel to free it (at most a minute)`,
        { port: event.port },
      );
    } else {
      say("stopped every server", {});
    }
  };
}

/** Writes the report files, prints the Markdown, and sets the exit code for what went wrong. */
async function finishLab(
  ctx: CliContext,
  result: LabResult,
  opts: { out: string; quiet: boolean },
  say: Say,
): Promise<void> {
  // Loaded here, not at the top: the charts pull in vega and vega-lite (~30 MB, ~100 ms), and
  // every netlab process (each lab child, each pool worker) imports this module.
  const { createRunFolder, writeLabReport } = await import("../lab/write.ts");
  // The files first: a reader that leaves early (`netlab lab | head`) ends the process at
  // the print, and must not take the report with it.
  const files = await createRunFolder(opts.out, result.startedAt)
    .then((dir) => writeLabReport(result, dir))
    .catch(reportError(opts.out));
  ctx.print(renderLabMarkdown(result));
  if (!opts.quiet) say(`wrote ${files.markdown}, ${files.json} and ${files.html}`, { ...files });
  if (result.interrupted !== null) {
    const runs = counted(result.cells.reduce((n, c) => n + c.runs.length, 0), "run");
    const why = ctx.signal.aborted ? "interrupted; every server was stopped" : result.interrupted;
    ctx.printErr(`netlab lab: ${why}; the report holds the ${runs} that finished\n`);
    ctx.setExitCode(ctx.signal.aborted ? ctx.interruptExitCode() : 1);
    return;
  }
  const empty = result.cells.filter((c) => c.summary.complete === 0).length;
  if (empty > 0) {
    const cells = counted(result.cells.length, "cell");
    ctx.printErr(`netlab lab: every request failed in ${empty} of ${cells}\n`);
    ctx.setExitCode(1);
  }
}

/** `netlab lab`: the whole experiment in one command. */
export function labCommand(ctx: CliContext): Command {
  return new Command("lab")
    .description(
      "Start four async servers behind a balancer, a standalone async server and a worker pool, " +
        "bench them at several concurrency levels, and write report.md, results.json and report.html.",
    )
    .option(
      "-o, --out <dir>",
      "folder for the reports: each lab writes its own timestamped folder, linked as latest",
      "lab-report",
    )
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
    .option("-k, --keepalive", "reuse connections (HTTP keep-alive), like ab -k", false)
    .option(
      "--workers <n>",
      "worker pool size (default: number of CPUs)",
      parseInteger("--workers", 1, 256),
    )
    .option("--demo-routes", "also bench the CPU-bound route /_netlab/work?ms=N", false)
    .addOption(
      new Option("--work-ms <duration>", "CPU time per request on the CPU-bound route")
        .argParser(durationArg("ms", 0, 1000)).default(5, "5ms"),
    )
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
    )
    .addOption(
      new Option("--engine <engine>", "bench engine: raw counts bytes on the wire like ab")
        .choices(["raw", "fetch"] as const).default("raw" as const),
    )
    .option("-q, --quiet", "no progress lines, only the report", false)
    .addOption(
      new Option("--log-format <format>", "progress lines as text or as JSON lines").choices(
        ["text", "json"] as const,
      ).default(
        "text" as const,
      ),
    )
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
    .action(async (opts, cmd) => {
      // Only a port given on the command line must be had; a busy default gives way to a free one.
      const given = (name: string) => cmd.getOptionValueSource(name) === "cli";
      await setupLogging(
        { logFormat: opts.logFormat as LogFormat, quiet: opts.quiet },
        ctx.logStream,
      );
      const routeWidth = Math.max(...labRoutes(opts).map((r) => r.length));
      // Text is for people, so it stays plain; --log-format json makes each line a JSON record.
      const log = getLogger(["netlab", "lab"]);
      const say: Say = (text, properties) => {
        if (opts.logFormat === "json") log.info(text, properties);
        else ctx.printErr(`${text}\n`);
      };
      const onProgress = progressPrinter(opts.quiet, say, routeWidth);
      // Find out now, not after the whole lab, that the report cannot be written.
      await Deno.mkdir(opts.out, { recursive: true }).catch(reportError(opts.out));
      let result;
      try {
        result = await runLab({
          host: opts.host,
          requests: opts.requests,
          repeat: opts.repeat,
          warmup: opts.warmup,
          anchors: opts.anchors,
          concurrencyLevels: opts.concurrencyLevels,
          keepAlive: opts.keepalive,
          ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
          demoRoutes: opts.demoRoutes,
          workMs: opts.workMs,
          ...(given("backendPorts") ? { backendPorts: opts.backendPorts } : {}),
          ...(given("balancerPort") ? { balancerPort: opts.balancerPort } : {}),
          balancerMode: opts.balancerMode,
          ...(given("asyncPort") ? { asyncPort: opts.asyncPort } : {}),
          ...(given("poolPort") ? { poolPort: opts.poolPort } : {}),
          statsPort: opts.statsPort,
          engine: opts.engine,
          ...(ctx.entryUrl !== undefined ? { benchWorkerUrl: ctx.entryUrl } : {}),
        }, { signal: ctx.signal, onProgress });
      } catch (err) {
        // Stopped while the servers were starting: nothing ran, so there is nothing to write.
        if (ctx.signal.aborted) {
          ctx.printErr("netlab lab: interrupted; every server was stopped\n");
          ctx.setExitCode(ctx.interruptExitCode());
          return;
        }
        throw err;
      }
      await finishLab(ctx, result, { out: opts.out, quiet: opts.quiet }, say);
    }) as unknown as Command;
}
