/**
 * `netlab lab`'s run: the parsed flags to lab options, the lab run with its progress lines, and
 * the report written, printed, and turned into an exit code.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CliContext } from "./context.ts";
import { NetlabError } from "../errors.ts";
import { type LogFormat, setupLogging } from "./logging.ts";
import type { AnchorName } from "../lab/_anchors.ts";
import { type LabOptions, labRoutes, runLab } from "../lab/lab.ts";
import type { LabResult } from "../lab/types.ts";
import { renderLabMarkdown } from "../lab/report_md.ts";
import { counted } from "../runtime/text.ts";
import { progressPrinter, type Say } from "./lab_progress.ts";

/** The lab flags as commander parses them. */
export interface LabFlags {
  out: string;
  requests: number;
  repeat: number;
  warmup: number;
  anchors: "auto" | "none" | AnchorName[];
  concurrencyLevels: number[];
  keepalive: boolean;
  workers?: number | undefined;
  demoRoutes: boolean;
  workMs: number;
  host: string;
  backendPorts: number[];
  balancerPort: number;
  balancerMode: "tcp" | "http";
  asyncPort: number;
  poolPort: number;
  statsPort: number;
  engine: "raw" | "fetch";
  quiet: boolean;
  logFormat: LogFormat;
}

/**
 * Runs `netlab lab` with its parsed flags.
 *
 * @param given whether a flag was given on the command line: only such a port must be had, a
 *   busy default gives way to a free one
 */
export async function runLabCommand(
  ctx: CliContext,
  opts: LabFlags,
  given: (name: string) => boolean,
): Promise<void> {
  await setupLogging({ logFormat: opts.logFormat, quiet: opts.quiet }, ctx.logStream);
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
    result = await runLab(labOptions(ctx, opts, given), { signal: ctx.signal, onProgress });
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
}

/** The lab's options: the ports only where given, so the others may move. */
function labOptions(
  ctx: CliContext,
  opts: LabFlags,
  given: (name: string) => boolean,
): LabOptions {
  return {
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
  };
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
