/**
 * The flags `netlab serve` and `netlab pool` share, grouped by what they govern: where to listen,
 * what to log, what the site shows, TLS, and the engine with its timeouts. `pool` adds its own.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { durationArg, portArg } from "./args.ts";
import { UsageError } from "../errors.ts";
import { type LogFormat, logFormatOption } from "./logging.ts";
import type { EngineChoice } from "../server/engine.ts";
import { type SiteFlags, withSiteFlags } from "./serve_site.ts";

/** The serve flags as commander parses them (shared with `netlab pool`). */
export interface ServeFlags extends SiteFlags {
  host: string;
  port: number;
  root?: string;
  quiet?: true;
  logFormat: LogFormat;
  list?: true;
  dotfiles?: true;
  cors?: true;
  compress: boolean;
  /** `--cert` and `--key`, each repeatable: the first pair is the default, the rest go by SNI. */
  cert?: string[];
  key?: string[];
  demoRoutes?: true;
  engine: EngineChoice;
  /** The timeouts in milliseconds, as `durationArg` reads them. */
  headerTimeout?: number;
  keepaliveTimeout?: number;
  sendTimeout?: number;
}

/** Commander's way to let a flag repeat: every value, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Where to listen, and what: the directory as an argument or `--root`. */
function addListenOptions<C extends Command>(cmd: C): C {
  cmd
    .argument("[root]", "directory to serve, as --root")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on, 0 for any free port", portArg, 8000)
    .addOption(
      new Option("--root <dir>", "directory to serve").default(undefined, "the bundled www/"),
    );
  return cmd;
}

/** The access log: none, text or JSON lines. */
function addLogOptions<C extends Command>(cmd: C): C {
  cmd
    .option("-q, --quiet", "no access log (warnings and errors still print)")
    .addOption(logFormatOption());
  return cmd;
}

/** What the site shows beyond its files, and how it sends them. */
function addContentOptions<C extends Command>(cmd: C): C {
  cmd
    .option("--list", "list directories that have no index.html")
    .option("--dotfiles", "serve names starting with a dot")
    .option("--cors", "send Access-Control-Allow-Origin: * and answer preflights")
    .option("--no-compress", "never gzip/brotli responses");
  return cmd;
}

/** HTTPS: certificate and key pairs, several picked by SNI. */
function addTlsOptions<C extends Command>(cmd: C): C {
  cmd
    .option(
      "--cert <file>",
      "PEM certificate chain: serve HTTPS (HTTP/2 on the deno engine); repeat --cert/--key for " +
        "more names, picked by SNI (epoll engine)",
      collect,
    )
    .option(
      "--key <file>",
      "PEM private key for --cert (one per --cert, in order)",
      collect,
    );
  return cmd;
}

/** The engine, and the timeouts only the epoll engine keeps. */
function addEngineOptions<C extends Command>(cmd: C): C {
  const timeout = durationArg("s", 1, 86_400_000);
  cmd
    .addOption(
      new Option(
        "--engine <engine>",
        "epoll: netlab's own HTTP/1.1 engine (Linux; TLS through OpenSSL 3); deno: Deno.serve " +
          "(HTTP/2); " +
          "auto: epoll where it can run",
      ).choices(["auto", "epoll", "deno"]).default("auto"),
    )
    .option(
      "--header-timeout <s>",
      "seconds a request head may take to arrive (epoll engine; default 60)",
      timeout,
    )
    .option(
      "--keepalive-timeout <s>",
      "seconds an idle keep-alive connection stays open (epoll engine; default 75)",
      timeout,
    )
    .option(
      "--send-timeout <s>",
      "seconds a client may stop reading before it is dropped (epoll engine; default 60)",
      timeout,
    );
  return cmd;
}

/** Adds the serve flags to `cmd` (used by `netlab serve` and `netlab pool`). */
export function withServeFlags<C extends Command>(cmd: C): C {
  addTlsOptions(addContentOptions(addLogOptions(addListenOptions(cmd))))
    .option("--demo-routes", "enable GET /_netlab/work?ms=N (burns N ms of CPU)");
  return withSiteFlags(addEngineOptions(cmd));
}

/** The root given as `netlab serve DIR` goes where `--root DIR` would; both at once is an error. */
export function withRootArgument<F extends ServeFlags>(flags: F, root: string | undefined): F {
  if (root === undefined) return flags;
  if (flags.root !== undefined && flags.root !== root) {
    throw new UsageError(`Give the directory once: "${root}" or --root "${flags.root}"`);
  }
  return { ...flags, root };
}
