/**
 * `netlab bench`'s run: the parsed flags to a plan (or a Kubernetes Job), the plan's files read,
 * the runs made with a progress bar or live view, the report printed or written, and the exit
 * code set for what went wrong.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import process from "node:process";
import type { CliContext } from "./context.ts";
import { setupLogging } from "./logging.ts";
import { benchCells } from "../bench/cells.ts";
import type { BenchCell } from "../bench/cell.ts";
import { type AssertionOutcome, checkAssertions, renderAssertions } from "../bench/assertions.ts";
import {
  emitBenchJob,
  passedOnArgs,
  podUrlWarnings,
  type ShardFlags,
  shardPlan,
} from "./bench_shards.ts";
import { parseShard, parseStartAt, waitUntil } from "../bench/shard.ts";
import { normalizeOptions } from "../bench/options.ts";
import { type BenchFlags, type BenchPlan, resolveBenchFlags } from "./bench_flags.ts";
import { renderReport } from "./bench_report.ts";
import { insecureChild, runInsecure } from "./bench_insecure.ts";
import { checkWritable, readBody, readCaCert, writeReport, writeRunReport } from "./bench_files.ts";
import { readBodyDir, readUrlsFile } from "./bench_urls.ts";
import { writePlot } from "./bench_plot.ts";
import { LIVE_AFTER_SECONDS, LiveDashboard, liveMode } from "./bench_live.ts";
import type { BenchProgress } from "../bench/run.ts";
import { createProgressBar, type ProgressBar } from "../bench/progress.ts";
import { counted } from "../runtime/text.ts";

/** Runs `netlab bench` with its URLs and parsed flags; `command` names the flags a Job passes on. */
export async function runBench(
  ctx: CliContext,
  urls: string[],
  flags: BenchFlags & ShardFlags,
  command: Command<unknown[]>,
): Promise<void> {
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
  await prepareRun(ctx, plan);
  if (startAt !== null) await waitUntil(startAt, ctx.signal);
  let cells = await runPlan(ctx, plan, body);
  if (shard !== null) cells = shard.annotate(cells);
  await report(ctx, plan, cells);
}

/** Reads the CA file, and checks before the run what could only fail after it. */
async function prepareRun(ctx: CliContext, plan: BenchPlan): Promise<void> {
  if (plan.caCertFile !== null) plan.base.caCerts = [await readCaCert(plan.caCertFile)];
  // the copy --insecure started: Deno's TLS obeys its flag, OpenSSL's (raw engine) this
  if (plan.insecure) plan.base.insecure = true;
  // Fail before the run, not after it: a long run whose report cannot be written is lost.
  // The file itself is only replaced once there is a report to put in it.
  if (plan.out !== null) await checkWritable(plan.out);
  if (plan.plot !== null) await checkWritable(plan.plot);
  for (const notice of plan.notices) ctx.printErr(`netlab bench: ${notice}\n`);
}

/** Prints or writes the report, the assertions and the plot, and sets the exit code. */
async function report(ctx: CliContext, plan: BenchPlan, cells: BenchCell[]): Promise<void> {
  const outcomes = checkAssertions(plan.assertions, cells);
  const text = renderReport(plan.format, cells) +
    (plan.format === "ab" ? renderAssertions(outcomes) : "");
  const runs = cells.flatMap((c) => c.runs);
  const requests = runs.reduce((n, r) => n + r.complete + r.failed, 0);
  const allFailed = runs.every((r) => r.complete === 0) && requests > 0;
  const cut = ctx.signal.aborted ? "interrupted" : allFailed ? "failed" : null;
  if (plan.out === null) ctx.print(text);
  else await writeRunReport(plan.out, text, cut, (line) => ctx.printErr(`netlab bench: ${line}\n`));
  if (plan.format !== "ab" && outcomes.length > 0) ctx.printErr(renderAssertions(outcomes));
  if (plan.plot !== null) await writePlot(plan.plot, "netlab bench", [{ name: "", cells }]);
  warnSaturated(ctx, cells);
  setExitCode(ctx, cells, allFailed, outcomes);
}

/** Says when the load generator, not the server, set the pace. */
function warnSaturated(ctx: CliContext, cells: BenchCell[]): void {
  const saturated = cells.filter((c) => c.client.saturated);
  if (saturated.length === 0) return;
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

/** 130/143 for a run cut short, 1 when every request failed, 3 when an --assert failed. */
function setExitCode(
  ctx: CliContext,
  cells: BenchCell[],
  allFailed: boolean,
  outcomes: AssertionOutcome[],
): void {
  if (ctx.signal.aborted) {
    // a run cut short exits as shells expect (130 for Ctrl-C, 143 for SIGTERM)
    ctx.setExitCode(ctx.interruptExitCode());
  } else if (allFailed) {
    const runs = cells.flatMap((c) => c.runs);
    const causes = [...new Set(runs.flatMap((r) => Object.keys(r.errors)))].join(", ");
    ctx.printErr(`netlab bench: every request failed (${causes})\n`);
    ctx.setExitCode(1);
  } else if (outcomes.some((o) => !o.held)) {
    ctx.setExitCode(3);
  }
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
