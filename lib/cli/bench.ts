/**
 * `netlab bench`: ab's flags and report, plus --rate, --engine, --format, --out and
 * --concurrency-levels, --repeat, --warmup and --assert; `bench compare` is bench_compare.ts.
 * Parsing is commander's (the flags here, in groups); validation is `resolveBenchFlags`; the run
 * is `bench_run.ts` over `benchCells`; printing is the pure renderers.
 *
 * @module
 */
import { Command, Option, type OptionValues } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { VERSION } from "../version.ts";
import { benchCompareCommand } from "./bench_compare.ts";
import { benchMergeCommand } from "./bench_merge.ts";
import { DEFAULT_IMAGE } from "./bench_shards.ts";
import { DEFAULT_THREADS } from "../bench/options.ts";
import { renderReport } from "./bench_report.ts";
import { PLOT_HELP } from "./bench_plot.ts";
import { runBench } from "./bench_run.ts";

export { renderReport };

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** ab's own flags: how many requests, how many at once, what each one sends. */
function addAbOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .addOption(
      new Option("-n, --requests <n>", "number of requests").default(
        undefined,
        "1, unlimited with -t",
      ),
    )
    .addOption(
      new Option("-c, --concurrency <n>", "requests in flight at once").default(undefined, "1"),
    )
    .option(
      "-t, --timelimit <duration>",
      "stop after this long (30s, 2m; a bare number is seconds)",
    )
    .option("-k, --keepalive", "reuse connections (HTTP keep-alive)")
    .option("-i, --head", "send HEAD requests")
    .addOption(
      new Option("-m, --method <method>", "HTTP method").default(undefined, "GET, POST with -p"),
    )
    .option("-H, --header <header>", 'extra header "Name: value" (repeatable)', collect)
    .option("-p, --postfile <file>", "file to POST as the request body")
    .option("-u, --putfile <file>", "file to PUT as the request body")
    .option("-C, --cookie <name=value>", "send a cookie (repeatable)", collect)
    .option("-A, --auth <user:password>", "Basic authentication")
    .option("-r, --keep-going", "accepted for ab: netlab never stops on socket errors")
    .addOption(
      new Option("-T, --content-type <type>", "Content-Type of the body").default(
        undefined,
        "text/plain",
      ),
    )
    .addOption(
      new Option("-s, --timeout <duration>", "per-request timeout; hitting it ends the run")
        .default(undefined, "30s"),
    )
    .option("-l, --variable-length", "accept varying body lengths (no Length failures)")
    .option("-q, --quiet", "no progress bar");
}

/** How the load is made: its rate, engine and threads. */
function addEngineOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--rate <n>", "open model: N requests per second, latency from when each was due")
    .addOption(
      new Option(
        "--engine <engine>",
        "raw (HTTP/1.1 over sockets), fetch (Deno's fetch), or auto: raw unless a proxy applies",
      ).choices(["auto", "fetch", "raw"]).default("auto"),
    )
    .addOption(
      new Option("--threads <n>", "threads sharing the connections, as wrk's -t").default(
        undefined,
        `${DEFAULT_THREADS.raw} with raw, ${DEFAULT_THREADS.fetch} with fetch`,
      ),
    );
}

/** The report's format and where it goes. */
function addReportOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .addOption(
      new Option("--format <format>", "report format").choices(["ab", "json", "csv", "markdown"])
        .default("ab"),
    )
    .option("--out <file>", "write the report to a file instead of standard output");
}

/** Which https certificates are trusted. */
function addTlsOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--cacert <file>", "trust the PEM certificate(s) in FILE for https, e.g. self-signed")
    .option("--insecure", "do not verify https certificates (runs netlab again with Deno's flag)");
}

/** The runs: levels, repeats, warm-up, and the thresholds checked at the end. */
function addMatrixOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--concurrency-levels <list>", "run each URL at every level, e.g. 1,5,10,20,50,100")
    .option("--repeat <n>", "runs per URL and level; reports give the median and spread", "1")
    .option("--warmup <n>", "requests sent before each URL and level's runs, not counted", "0")
    .option(
      "--assert <expr>",
      "threshold checked at the end, exit 3 if it fails (repeatable): p99<20ms, rps>5000, errors<1%",
      collect,
    );
}

/** Requests that differ: a URLs file, its order, bodies taking turns, a Unix socket. */
function addRequestMixOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option(
      "--urls-file <file>",
      "one request per line: [METHOD] URL [@body-file] [Header: value]... (one server)",
    )
    .addOption(
      new Option("--order <order>", "order of --urls-file's requests").choices([
        "sequential",
        "random",
      ]).default(undefined, "sequential"),
    )
    .addOption(new Option("--seed <n>", "seed of --order random").default(undefined, "1"))
    .option("--body-dir <dir>", "request bodies taking turns: the files in DIR, by name")
    .option("--unix-socket <path>", "dial this Unix socket (raw engine; Host from the URL)");
}

/** What is drawn: a plot file, a live view. */
function addViewOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--plot <file>", PLOT_HELP)
    .option(
      "--live",
      "a live view on the terminal: req/s, latency so far, status codes, errors (default: on a terminal, for runs past 3 s)",
    )
    .option("--no-live", "no live view");
}

/** One load from several machines: a shard's part and start, or a Kubernetes Job. */
function addShardOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option("--shard <i/n>", "run shard I (from 0) of N: -n, -c and --rate divided among N")
    .option("--start-at <time>", "wait, then start at TIME (RFC 3339 or Unix ms), as other shards")
    .addOption(
      new Option("--emit <what>", "print a Kubernetes Job running --shards N shards, and exit")
        .choices(["k8s-job"]),
    )
    .option("--shards <n>", "with --emit k8s-job: the number of shards (pods)")
    .addOption(
      new Option("--image <image>", "with --emit k8s-job: the netlab image").default(
        undefined,
        DEFAULT_IMAGE,
      ),
    );
}

/** Builds the `bench` subcommand. */
export function benchCommand(ctx: CliContext): Command {
  const cmd = new Command("bench")
    // `bench merge --format json`: after a subcommand's name, options are the subcommand's
    .enablePositionalOptions()
    .description(
      "Load an HTTP server the way ApacheBench does, with exact counters and percentiles",
    )
    .argument("[url...]", "one or more http(s) URLs (or --urls-file)");
  return addShardOptions(
    addViewOptions(
      addRequestMixOptions(
        addMatrixOptions(addTlsOptions(addReportOptions(addEngineOptions(addAbOptions(cmd))))),
      ),
    ),
  )
    .addCommand(benchCompareCommand(ctx) as unknown as Command)
    .addCommand(benchMergeCommand(ctx) as unknown as Command)
    .addHelpText(
      "after",
      `
Examples:
  netlab bench -n 1000 -c 10 http://127.0.0.1:8000/page.html
  netlab bench -k -n 100000 -c 50 --engine raw http://127.0.0.1:8000/
  netlab bench -t 10 --rate 2000 -c 20 http://127.0.0.1:8000/
  netlab bench -n 1000 --concurrency-levels 1,10,100 --format markdown URL1 URL2
  netlab bench -k -n 20000 -c 50 --repeat 5 --warmup 1000 --format json --out new.json URL
  netlab bench -n 5000 -c 10 --assert 'p99<20ms' --assert 'errors<1%' URL
  netlab bench -k -t 30s -c 50 --urls-file urls.txt --order random --seed 7
  netlab bench compare base.json new.json --fail-on-regression 5
  netlab bench -n 30000 -c 30 --shard 0/3 --start-at "$(date -u -d '+2 min' +%FT%TZ)" --format json URL
  netlab bench merge shard-0.json shard-1.json shard-2.json
  netlab bench --emit k8s-job --shards 3 --image REGISTRY/netlab:${VERSION} -n 30000 -c 30 URL

Exit status 3: an --assert threshold failed. bench compare --fail-on-regression exits 1.`,
    )
    .action((urls, flags, command) =>
      runBench(ctx, urls, flags, command as unknown as Command<unknown[]>)
    ) as unknown as Command;
}
