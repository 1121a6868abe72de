/**
 * `netlab pool`: the static site on a pool of Web Workers. Takes every `netlab serve` flag (shared
 * through `withServeFlags`, not copied) plus `--workers` and `--dispatch`.
 *
 * @module
 */
import { warnUnreadableRoot } from "./root_access.ts";
import { Command, Option } from "@commander-js/extra-typings";
import { integerArg } from "./args.ts";
import type { CliContext } from "./context.ts";
import { listeningLine, setupLogging } from "./logging.ts";
import { serveOptionsFrom } from "./serve.ts";
import { type ServeFlags, withRootArgument, withServeFlags } from "./serve_flags.ts";
import { DRAIN_MS, engineFor, warnFallback } from "./serve_engine.ts";
import { siteOptionsOf, warnAuth } from "./serve_site.ts";
import { WorkerPool } from "../server/pool.ts";
import { UsageError } from "../errors.ts";
import { defaultDispatch, defaultWorkerCount } from "../server/pool_options.ts";
import type { PoolDispatch } from "../server/pool_protocol.ts";
import type { ServeOptions } from "../server/async.ts";
import type { StaticOptions } from "../http/handler.ts";

/** Largest `--workers` accepted. */
export const MAX_WORKERS = 256;

/** Parses a `--workers` value: an integer from 1 to 256. */
export const parseWorkers: (value: string) => number = integerArg(1, MAX_WORKERS);

/** The pool flags as commander parses them. */
export interface PoolFlags extends ServeFlags {
  workers?: number;
  dispatch?: PoolDispatch;
}

/** `netlab pool`. */
export function poolCommand(ctx: CliContext): Command {
  const cmd = withServeFlags(
    new Command("pool").description(
      "Serve a directory on a pool of Web Workers (CPU-heavy requests do not block each other)",
    ),
  )
    .addOption(
      new Option("--workers <n>", `number of workers, 1 to ${MAX_WORKERS}`)
        .argParser(parseWorkers).default(undefined, `${defaultWorkerCount()}, the CPU count`),
    )
    .addOption(
      new Option(
        "--dispatch <mode>",
        `kernel: every worker listens with reusePort (Linux); queue: the main thread accepts and ` +
          `hands requests to the least-busy worker`,
      ).choices(["kernel", "queue"]).default(undefined, defaultDispatch()),
    )
    .addHelpText(
      "after",
      `
Examples:
  netlab pool                                   one worker per CPU on http://127.0.0.1:8000/
  netlab pool --workers 4 --port 8001 --demo-routes
                                                try /_netlab/work?ms=100 with 4 in parallel
  netlab pool --dispatch queue --port 0 --quiet the main thread hands out the requests`,
    )
    .action((root, raw) =>
      runPool(ctx, withRootArgument(raw as unknown as PoolFlags, root as string | undefined))
    );
  return cmd as unknown as Command;
}

/** Runs `netlab pool` with its parsed flags until the pool has stopped. */
async function runPool(ctx: CliContext, flags: PoolFlags): Promise<void> {
  if ((flags.cert?.length ?? 0) > 1) {
    throw new UsageError("Several certificates (SNI) are for netlab serve; give pool one");
  }
  const options = await serveOptionsFrom(flags);
  const quiet = flags.quiet ?? false;
  const dispatch = flags.dispatch ?? defaultDispatch();
  const pick = engineFor(flags, dispatch === "queue");
  await setupLogging({ logFormat: flags.logFormat, quiet }, ctx.logStream);
  warnFallback(flags.engine, pick);
  await warnUnreadableRoot(options.root);
  const pool = new WorkerPool({
    handler: handlerOptions(options),
    workers: flags.workers ?? defaultWorkerCount(),
    dispatch,
    engine: pick.engine,
    ...pick.timeouts,
    hostname: flags.host,
    port: flags.port,
    ...(options.cert !== undefined ? { cert: options.cert } : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(ctx.entryUrl !== undefined ? { workerUrl: ctx.entryUrl } : {}),
    signal: ctx.signal,
    logLevel: quiet ? "warning" : "info",
    drainTimeoutMs: DRAIN_MS,
  });
  const addr = await pool.start();
  ctx.ready?.({ command: "pool", host: addr.hostname, port: addr.port });
  warnAuth(flags);
  // --quiet drops info records, but tools still need to learn the port
  if (quiet) {
    ctx.printErr(
      flags.logFormat === "json"
        ? listeningLine("pool", pool.url, "json", pool.engine)
        : `netlab pool: ${pool.readyLine()}\n`,
    );
  }
  await pool.finished;
}

/** The site's options as every worker's handler takes them (plain data, to cross to a Worker). */
function handlerOptions(options: ServeOptions): StaticOptions {
  return {
    root: options.root,
    list: options.list ?? false,
    dotfiles: options.dotfiles ?? false,
    cors: options.cors ?? false,
    compress: options.compress ?? true,
    demoRoutes: options.demoRoutes ?? false,
    ...siteOptionsOf(options),
  };
}
