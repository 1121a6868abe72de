#!/usr/bin/env -S deno run -A --unstable-net --v8-flags=--max-semi-space-size=4,--heap-growing-percent=50
/**
 * netlab's command line: the only module that reads `Deno.args`, installs signal handlers, maps
 * errors to exit codes and calls `Deno.exit`.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./lib/cli/context.ts";
import { NetlabError, UsageError } from "./lib/errors.ts";
import { stopWithParent } from "./lib/runtime/self.ts";
import { isPoolWorkerScope, runPoolWorker } from "./lib/server/pool_worker.ts";
import { isBenchWorkerScope, runBenchWorker } from "./lib/bench/bench_worker.ts";
import { VERSION } from "./lib/version.ts";
import { formatReadyLine, readyLineWanted } from "./lib/runtime/ready.ts";
import { nearestCommand } from "./lib/cli/suggest.ts";

// Pool and bench workers are started from this very module (so bundles and compiled binaries need
// no second entry point): inside one, run the worker loop instead of the CLI. The CLI itself
// (commander and every command's modules) is loaded only by main(), on the main thread: a
// worker would pay about 170 ms and 25 MiB for it.
const poolWorker = isPoolWorkerScope();
if (poolWorker) runPoolWorker();
const benchWorker = isBenchWorkerScope();
if (benchWorker) runBenchWorker();

const encoder = new TextEncoder();

/** Thrown by `print` once the reader of standard output has gone (`netlab ... | head -1`). */
class StdoutClosed extends Error {
  override name = "StdoutClosed";
}

/**
 * The exit code of a program stopped by SIGPIPE (128 + 13), as shells report `yes | head -1`'s
 * `yes`: quiet, but not a success.
 */
const STDOUT_CLOSED_EXIT = 141;

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

function printTo(file: { writeSync(p: Uint8Array): number }, text: string): void {
  try {
    writeAll(file, text);
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) {
      throw new StdoutClosed("stdout closed", { cause: err });
    }
    throw err;
  }
}

/** Writes to stderr; if nobody reads it any more, there is no one to tell either. */
function printErrTo(file: { writeSync(p: Uint8Array): number }, text: string): void {
  try {
    writeAll(file, text);
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
  }
}

/** `--allow-env` from Deno's "..., run again with the --allow-env flag". */
function permissionLine(err: Error): string {
  const flag = /--allow-[a-z-]+/.exec(err.message)?.[0];
  const what = err.message.replace(/,? run again with .*$/, "").replace(/^Requires/, "requires");
  return flag === undefined
    ? `missing permission: ${what}`
    : `missing permission: ${what}; run again with ${flag} (or -A)`;
}

/** The CLI's modules, loaded on first use (never in a worker). */
async function loadCli() {
  const [commander, help, logging, serve, pool, balance, bench, lab] = await Promise.all([
    import("@commander-js/extra-typings"),
    import("./lib/cli/help.ts"),
    import("./lib/cli/logging.ts"),
    import("./lib/cli/serve.ts"),
    import("./lib/cli/pool.ts"),
    import("./lib/cli/balance.ts"),
    import("./lib/cli/bench.ts"),
    import("./lib/cli/lab.ts"),
  ]);
  return {
    Command: commander.Command,
    CommanderError: commander.CommanderError,
    HELP_EPILOGUE: help.HELP_EPILOGUE,
    styleHelp: help.styleHelp,
    teardownLogging: logging.teardownLogging,
    commands: [
      serve.serveCommand,
      pool.poolCommand,
      balance.balanceCommand,
      bench.benchCommand,
      lab.labCommand,
    ],
  };
}

/** The loaded CLI modules. */
type Cli = Awaited<ReturnType<typeof loadCli>>;

/** Builds the program; exported so tests can inspect it without spawning. */
export async function buildProgram(ctx: CliContext): Promise<Command> {
  return buildWith(await loadCli(), ctx);
}

function buildWith(cli: Cli, ctx: CliContext): Command {
  const { Command, HELP_EPILOGUE, styleHelp } = cli;
  const program = new Command("netlab")
    .description(
      "Run, load-balance and measure HTTP servers on your own machine, and get honest numbers.",
    )
    .version(VERSION, "-V, --version", "print the version")
    // lets `bench merge --format json` give --format to merge, not to bench (bench.ts enables it too)
    .enablePositionalOptions()
    .addHelpText(
      "after",
      `
Examples:
  netlab serve --port 8000               serve the bundled www/ on 127.0.0.1:8000
  netlab pool --workers 4 --port 8001    the same on a pool of Web Workers
  netlab balance --backend 127.0.0.1:9002-9005
  netlab bench -n 1000 -c 10 http://127.0.0.1:8000/page.html
  netlab lab                             the whole experiment, tables and charts`,
    );
  for (const make of cli.commands) {
    program.addCommand(make(ctx) as unknown as Command);
  }
  program.addHelpText("afterAll", HELP_EPILOGUE);
  const configure = (cmd: Command) => {
    styleHelp(cmd);
    cmd.exitOverride().showSuggestionAfterError(true).configureOutput({
      writeOut: ctx.print,
      writeErr: ctx.printErr,
      // commander would read NO_COLOR and friends, which needs --allow-env; netlab's help is plain
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      outputError: () => {}, // main() prints the one-line error itself
    });
    for (const sub of cmd.commands) configure(sub as unknown as Command);
  };
  configure(program);
  return program;
}

const COMMANDS = ["serve", "pool", "balance", "bench", "lab"];
/** Commands that have commands of their own. */
const SUBCOMMANDS: Record<string, string[]> = { bench: ["compare", "merge"] };

/** Which command a failed argv was aimed at, for the `--help` hint: `netlab bench compare`. */
function commandPath(args: string[]): string {
  const words = args.filter((a) => !a.startsWith("-"));
  const [sub, subsub] = words;
  if (sub === undefined || !COMMANDS.includes(sub)) return "netlab";
  return subsub !== undefined && SUBCOMMANDS[sub]?.includes(subsub)
    ? `netlab ${sub} ${subsub}`
    : `netlab ${sub}`;
}

/** Runs netlab with `args` and resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  // the shell's convention: 128 + the signal's number (SIGINT 130, SIGTERM 143)
  let interruptCode = 130;
  const onSignal = (code: number) => () => {
    interrupts++;
    if (interrupts > 1) Deno.exit(code); // a second Ctrl-C means "now"
    interruptCode = code;
    controller.abort(new DOMException("Interrupted", "AbortError"));
  };
  const signals: [Deno.Signal, () => void][] = [["SIGINT", onSignal(130)]];
  if (Deno.build.os !== "windows") signals.push(["SIGTERM", onSignal(143)]);
  for (const [s, f] of signals) Deno.addSignalListener(s, f);
  let code = 0;
  const ctx: CliContext = {
    signal: controller.signal,
    print: (text) => printTo(Deno.stdout, text),
    printErr: (text) => printErrTo(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    logStream: Deno.stderr.writable,
    setExitCode: (c) => {
      code = c;
    },
    entryUrl: import.meta.url,
    args,
    interruptExitCode: () => interruptCode,
    ready: (info) => {
      if (readyLineWanted()) ctx.printErr(formatReadyLine(info));
    },
  };
  const cli = await loadCli();
  try {
    stopWithParent(() => controller.abort(new DOMException("Parent exited", "AbortError")));
    const program = buildWith(cli, ctx);
    if (args.length === 0) {
      // as git and deno do: a bare `netlab` is a request for help, not a mistake
      ctx.print(program.helpInformation());
    } else {
      checkHelpTopic(args);
      await program.parseAsync(args, { from: "user" });
    }
  } catch (err) {
    code = report(cli, err, args, ctx);
  } finally {
    for (const [s, f] of signals) Deno.removeSignalListener(s, f);
    await cli.teardownLogging().catch(() => {});
  }
  return code;
}

/**
 * Commander's "option '-p, --port <port>' argument 'x' is invalid. expected ..." in netlab's words:
 * `Invalid --port "x": expected ...`, the same for every flag of every command.
 */
function commanderLine(message: string): string {
  const unknown = /^error: unknown command '([^']*)'/.exec(message);
  if (unknown !== null) {
    const near = nearestCommand(unknown[1]!, COMMANDS);
    return `unknown command '${unknown[1]}'${near === null ? "" : `\n(Did you mean ${near}?)`}`;
  }
  const m = /^error: option '(?:-\w, )?(--[\w-]+)[^']*' argument '(.*)' is invalid\.\s*(.*)$/s
    .exec(message);
  if (m === null) return message.replace(/^error: /, "");
  const choices = /^Allowed choices are (.*)\.$/.exec(m[3]!)?.[1]?.split(", ");
  const why = choices === undefined
    ? m[3]!.replace(/\.$/, "")
    : `expected ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
  return `Invalid ${m[1]} "${m[2]}": ${why}`;
}

/** `netlab help nosuch` is a usage error naming the command, as `git help nosuch` is. */
function checkHelpTopic(args: string[]): void {
  const topic = args[0] === "help" ? args[1] : undefined;
  if (topic !== undefined && !COMMANDS.includes(topic)) {
    throw new UsageError(`unknown command '${topic}'`);
  }
}

function report(cli: Cli, err: unknown, args: string[], ctx: CliContext): number {
  const hint = `Try '${commandPath(args)} --help' for more information.\n`;
  if (err instanceof StdoutClosed) return STDOUT_CLOSED_EXIT;
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    if (/run again with/.test(err.message)) {
      ctx.printErr(`${commandPath(args)}: ${permissionLine(err)}\n`);
      return 1;
    }
  }
  if (err instanceof cli.CommanderError) {
    if (err.exitCode === 0) return 0; // --help, --version
    ctx.printErr(`${commandPath(args)}: ${commanderLine(err.message)}\n${hint}`);
    return 2;
  }
  if (err instanceof UsageError) {
    ctx.printErr(`${commandPath(args)}: ${err.message}\n${hint}`);
    return err.exitCode;
  }
  if (err instanceof NetlabError) {
    ctx.printErr(`${commandPath(args)}: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.printErr(`${commandPath(args)}: unexpected error: ${message}\n`);
  if (Deno.env.get("NETLAB_DEBUG") && err instanceof Error) ctx.printErr(`${err.stack}\n`);
  return 1;
}

/**
 * A log line written after the reader of stderr has gone (`netlab serve 2>&1 | head -1`) fails
 * inside the log sink, where nothing catches it: stop quietly, as a closed stdout does.
 */
function stopOnClosedPipe(event: PromiseRejectionEvent | ErrorEvent): void {
  const err = "reason" in event ? event.reason : event.error;
  if (!(err instanceof Deno.errors.BrokenPipe)) return;
  event.preventDefault();
  Deno.exit(STDOUT_CLOSED_EXIT);
}

if (import.meta.main && !poolWorker && !benchWorker) {
  globalThis.addEventListener("unhandledrejection", stopOnClosedPipe);
  globalThis.addEventListener("error", stopOnClosedPipe);
  Deno.exit(await main(Deno.args));
}
