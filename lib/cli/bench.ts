/**
 * `netlab bench`: ab's flags and report, plus --rate, --engine, --format, --out and
 * --concurrency-levels, --repeat, --warmup and --assert; `bench compare` is bench_compare.ts.
 * Parsing is commander's; validation is `resolveBenchFlags`; the run is `benchCells`; printing is
 * the pure renderers.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import process from "node:process";
import type { CliContext } from "./context.ts";
import { setupLogging } from "./logging.ts";
import { VERSION } from "../version.ts";
import { benchCells } from "../bench/cells.ts";
import type { BenchCell } from "../bench/cell.ts";
import { checkAssertions, renderAssertions } from "../bench/assertions.ts";
import { benchCompareCommand } from "./bench_compare.ts";
import { benchMergeCommand } from "./bench_merge.ts";
import {
  DEFAULT_IMAGE,
  emitBenchJob,
  passedOnArgs,
  podUrlWarnings,
  shardPlan,
} from "./bench_shards.ts";
import { parseShard, parseStartAt, waitUntil } from "../bench/shard.ts";
import { DEFAULT_THREADS, normalizeOptions } from "../bench/options.ts";
import { type BenchPlan, resolveBenchFlags } from "./bench_flags.ts";
import { renderReport } from "./bench_report.ts";
import { insecureChild, runInsecure } from "./bench_insecure.ts";
import { checkWritable, readBody, readCaCert, writeReport, writeRunReport } from "./bench_files.ts";
import { readBodyDir, readUrlsFile } from "./bench_urls.ts";
import { PLOT_HELP, writePlot } from "./bench_plot.ts";
import { LIVE_AFTER_SECONDS, LiveDashboard, liveMode } from "./bench_live.ts";
import type { BenchProgress } from "../bench/run.ts";

export { renderReport };
import { createProgressBar, type ProgressBar } from "../bench/progress.ts";
import { counted } from "../runtime/text.ts";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Builds the `bench` subcommand. */
export function benchCommand(ctx: CliContext): Command {
  return new Command("bench")
    // `bench merge --format json`: after a subcommand's name, options are the subcommand's
    .enablePositionalOptions()
    .description(
      "Load an HTTP server the way ApacheBench does, with exact counters and percentiles",
    )
    .argument("[url...]", "one or more http(s) URLs (or --urls-file)")
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
    .option("-q, --quiet", "no progress bar")
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
    )
    .addOption(
      new Option("--format <format>", "report format").choices(["ab", "json", "csv", "markdown"])
        .default("ab"),
    )
    .option("--out <file>", "write the report to a file instead of standard output")
    .option("--cacert <file>", "trust the PEM certificate(s) in FILE for https, e.g. self-signed")
    .option("--insecure", "do not verify https certificates (runs netlab again with Deno's flag)")
    .option("--concurrency-levels <list>", "run each URL at every level, e.g. 1,5,10,20,50,100")
    .option("--repeat <n>", "runs per URL and level; reports give the median and spread", "1")
    .option("--warmup <n>", "requests sent before each URL and level's runs, not counted", "0")
    .option(
      "--assert <expr>",
      "threshold checked at the end, exit 3 if it fails (repeatable): p99<20ms, rps>5000, errors<1%",
      collect,
    )
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
    .option("--unix-socket <path>", "dial this Unix socket (raw engine; Host from the URL)")
    .option("--plot <file>", PLOT_HELP)
    .option(
      "--live",
      "a live view on the terminal: req/s, latency so far, status codes, errors (default: on a terminal, for runs past 3 s)",
    )
    .option("--no-live", "no live view")
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
    .action(async (urls, flags, command) => {
      await setupLogging({ quiet: true }, ctx.logStream);
      let plan = resolveBenchFlags(flags, urls);
      if (flags.emit !== undefined) {
        const job = emitBenchJob(plan, flags, passedOnArgs(command, urls));
        for (const w of podUrlWarnings(plan.urls)) ctx.printErr(`netlab bench: ${w}\n`);
        if (plan.out === null) ctx.print(job);
        else await writeReport(plan.out, job);
        return;
      }
      if (plan.urlsFile !== null) plan = await withUrlsFile(plan, plan.urlsFile);
      if (plan.bodyDir !== null) plan.base.bodies = await readBodyDir(plan.bodyDir);
      if (plan.base.unixSocket === undefined) { for (const url of plan.urls) requireNet(url); }
      if (plan.insecure && !insecureChild()) {
        ctx.setExitCode(await runInsecure(ctx, plan.urls));
        return;
      }
      const shard = flags.shard === undefined ? null : shardPlan(plan, parseShard(flags.shard));
      if (shard !== null) plan = shard.plan;
      const startAt = flags.startAt === undefined ? null : parseStartAt(flags.startAt);
      const body = plan.postFile === null ? undefined : await readBody(plan.postFile);
      if (plan.caCertFile !== null) plan.base.caCerts = [await readCaCert(plan.caCertFile)];
      // the copy --insecure started: Deno's TLS obeys its flag, OpenSSL's (raw engine) this
      if (plan.insecure) plan.base.insecure = true;
      // Fail before the run, not after it: a long run whose report cannot be written is lost.
      // The file itself is only replaced once there is a report to put in it.
      if (plan.out !== null) await checkWritable(plan.out);
      if (plan.plot !== null) await checkWritable(plan.plot);
      for (const notice of plan.notices) ctx.printErr(`netlab bench: ${notice}\n`);
      if (startAt !== null) await waitUntil(startAt, ctx.signal);
      let cells = await runPlan(ctx, plan, body);
      if (shard !== null) cells = shard.annotate(cells);
      const outcomes = checkAssertions(plan.assertions, cells);
      const text = render(plan, cells) + (plan.format === "ab" ? renderAssertions(outcomes) : "");
      const runs = cells.flatMap((c) => c.runs);
      const requests = runs.reduce((n, r) => n + r.complete + r.failed, 0);
      const allFailed = runs.every((r) => r.complete === 0) && requests > 0;
      const cut = ctx.signal.aborted ? "interrupted" : allFailed ? "failed" : null;
      if (plan.out === null) ctx.print(text);
      else {await writeRunReport(plan.out, text, cut, (line) =>
          ctx.printErr(`netlab bench: ${line}\n`));}
      if (plan.format !== "ab" && outcomes.length > 0) ctx.printErr(renderAssertions(outcomes));
      if (plan.plot !== null) await writePlot(plan.plot, "netlab bench", [{ name: "", cells }]);
      const saturated = cells.filter((c) => c.client.saturated);
      if (saturated.length > 0) {
        const c = saturated[0]!;
        ctx.printErr(
          `netlab bench: the load generator was the bottleneck: ${
            c.client.limit ?? `its threads were ${c.client.cpuPercent.toFixed(0)}% busy`
          } (${saturated.length} of ${
            counted(cells.length, "cell")
          }), so the figures measure the client; ${
            c.engine === "raw" ? "use --threads" : "use --engine raw or --threads"
          }\n`,
        );
      }
      if (ctx.signal.aborted) {
        // a run cut short exits as shells expect (130 for Ctrl-C, 143 for SIGTERM)
        ctx.setExitCode(ctx.interruptExitCode());
      } else if (allFailed) {
        const causes = [...new Set(runs.flatMap((r) => Object.keys(r.errors)))].join(", ");
        ctx.printErr(`netlab bench: every request failed (${causes})\n`);
        ctx.setExitCode(1);
      } else if (outcomes.some((o) => !o.held)) {
        ctx.setExitCode(3);
      }
    }) as unknown as Command;
}

/** The plan with its URLs file read: its targets, and its first line's URL naming the run. */
async function withUrlsFile(plan: BenchPlan, path: string): Promise<BenchPlan> {
  const targets = await readUrlsFile(path);
  const urls = [targets[0]!.url];
  const next = { ...plan, urls, base: { ...plan.base, targets } };
  for (const c of plan.concurrencyLevels) {
    normalizeOptions({ ...next.base, url: urls[0]!, concurrency: c });
  }
  return next;
}

/**
 * Without net access every request would fail and be counted; say once which flag is missing.
 * Deno's own message and error class, so `main.ts` words it as for any other command.
 */
function requireNet(url: string): void {
  const { hostname, port, protocol } = new URL(url);
  const host = `${hostname}:${port || (protocol === "https:" ? 443 : 80)}`;
  if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires net access to "${host}", run again with the --allow-net flag`,
    );
  }
}

async function runPlan(
  ctx: CliContext,
  plan: BenchPlan,
  body: Uint8Array | undefined,
): Promise<BenchCell[]> {
  let bar: ProgressBar | null = null;
  const showBar = ctx.stderrIsTerminal && !plan.quiet;
  let cellLabel = "";
  const live = liveMode(plan.live, plan.quiet, ctx.stdoutIsTerminal ?? false);
  let dash: LiveDashboard | null = null;
  let drawing = false;
  const onProgress = (p: BenchProgress) => {
    if (!drawing && dash !== null && (live === "on" || p.elapsedSeconds >= LIVE_AFTER_SECONDS)) {
      (bar as ProgressBar | null)?.stop();
      bar = null;
      drawing = true;
    }
    (dash as LiveDashboard | null)?.update(p, drawing);
    if (!drawing) bar?.update(p);
  };
  try {
    return await benchCells({
      ...plan.base,
      ...(body !== undefined ? { body } : {}),
      ...(ctx.entryUrl !== undefined ? { workerUrl: ctx.entryUrl } : {}),
      urls: plan.urls,
      concurrencyLevels: plan.concurrencyLevels,
      repeat: plan.repeat,
      warmup: plan.warmup,
    }, {
      signal: ctx.signal,
      live: live !== "off",
      onRun: ({ index, count, url, concurrency }) => {
        cellLabel = count > 1 ? `[${index + 1}/${count}] c=${concurrency} ${url}` : url;
      },
      onRepeat: ({ repeat, repeats }) => {
        bar?.stop();
        (dash as LiveDashboard | null)?.stop();
        dash = null;
        const label = repeats > 1 ? `${cellLabel} run ${repeat + 1}/${repeats}` : cellLabel;
        const title = /c=\d+/.test(label) ? label : `${label} · c=${plan.concurrencyLevels[0]}`;
        drawing = false;
        if (live !== "off") {
          dash = new LiveDashboard(ctx.print, title, plan.base.timeLimitSeconds ?? null);
        }
        if (!showBar || live === "on") return;
        const total = plan.base.requests ?? (plan.base.timeLimitSeconds === undefined ? 1 : null);
        bar = createProgressBar(process.stderr, label, total);
      },
      onProgress,
    });
  } finally {
    (bar as ProgressBar | null)?.stop();
    (dash as LiveDashboard | null)?.stop();
  }
}

function render(plan: BenchPlan, cells: BenchCell[]): string {
  return renderReport(plan.format, cells);
}
