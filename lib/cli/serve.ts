/**
 * `netlab serve`: the static site on a single event loop.
 *
 * @module
 */
import { warnUnreadableRoot } from "./root_access.ts";
import { Command, Option } from "@commander-js/extra-typings";
import { durationArg, portArg } from "./args.ts";
import type { CliContext } from "./context.ts";
import { listenError, NetlabError, UsageError } from "../errors.ts";
import { listeningLine, type LogFormat, setupLogging } from "./logging.ts";
import { defaultRoot } from "../runtime/assets.ts";
import { type RunningServer, serve, type ServeOptions } from "../server/async.ts";
import { formatAddress } from "../runtime/address.ts";
import { type EngineChoice, type EnginePick, pickEngine } from "../server/engine.ts";
import { startHttp1 } from "../server/epoll.ts";
import type { TlsServerOptions } from "../tls/server.ts";
import { getLogger } from "@logtape/logtape";
import { type SiteFlags, siteOptionsFrom, warnAuth, withSiteFlags } from "./serve_site.ts";

/** How long SIGINT/SIGTERM waits for in-flight requests before giving up on them. */
export const DRAIN_MS = 4000;

/** The serve flags as commander parses them (shared with `netlab pool`). */
export interface ServeFlags extends SiteFlags {
  host: string;
  port: number;
  root?: string;
  quiet?: true;
  logFormat: string;
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

/** The epoll engine's timeouts as given (seconds); unset ones take nginx's defaults. */
export interface Timeouts {
  headerTimeout?: number;
  keepAliveTimeout?: number;
  sendTimeout?: number;
}

/**
 * Picks the engine for the flags and checks the flags fit it: the timeouts need the epoll engine
 * (Deno.serve cannot time a connection out), so on `deno` they are a usage error.
 *
 * @returns the pick; `reason` is set when `--engine epoll` could not be honoured
 */
export function engineFor(
  flags: ServeFlags,
  queue = false,
): EnginePick & { timeouts: Timeouts } {
  const pick = pickEngine(flags.engine, { tls: flags.cert !== undefined, host: flags.host, queue });
  const timeouts: Timeouts = {};
  // the flags are read as milliseconds ("60", "60s", "1m"); the engine takes seconds
  if (flags.headerTimeout !== undefined) timeouts.headerTimeout = flags.headerTimeout / 1000;
  if (flags.keepaliveTimeout !== undefined) {
    timeouts.keepAliveTimeout = flags.keepaliveTimeout / 1000;
  }
  if (flags.sendTimeout !== undefined) timeouts.sendTimeout = flags.sendTimeout / 1000;
  if (pick.engine === "deno" && (flags.cert?.length ?? 0) > 1) {
    throw new UsageError(
      `Several certificates (SNI) need the epoll engine, and ${
        flags.engine === "deno" ? "--engine deno" : `the epoll engine cannot run: ${pick.reason}`
      }`,
    );
  }
  if (pick.engine === "deno") {
    const given = [
      flags.headerTimeout !== undefined ? "--header-timeout" : "",
      flags.keepaliveTimeout !== undefined ? "--keepalive-timeout" : "",
      flags.sendTimeout !== undefined ? "--send-timeout" : "",
    ].filter((f) => f !== "");
    if (given.length > 0) {
      const why = flags.engine === "deno"
        ? "--engine deno"
        : `the epoll engine cannot run: ${pick.reason}`;
      throw new UsageError(
        `${given.join(", ")} ${
          given.length > 1 ? "need" : "needs"
        } the epoll engine (Deno.serve cannot time out connections), and ${why}`,
      );
    }
  }
  return { ...pick, timeouts };
}

/** Commander's way to let a flag repeat: every value, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the serve flags to `cmd` (used by `netlab serve` and `netlab pool`). */
export function withServeFlags<C extends Command>(cmd: C): C {
  cmd
    .argument("[root]", "directory to serve, as --root")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on, 0 for any free port", portArg, 8000)
    .addOption(
      new Option("--root <dir>", "directory to serve").default(undefined, "the bundled www/"),
    )
    .option("-q, --quiet", "no access log (warnings and errors still print)")
    .addOption(
      new Option("--log-format <format>", "log format").choices(["text", "json"]).default("text"),
    )
    .option("--list", "list directories that have no index.html")
    .option("--dotfiles", "serve names starting with a dot")
    .option("--cors", "send Access-Control-Allow-Origin: * and answer preflights")
    .option("--no-compress", "never gzip/brotli responses")
    .option(
      "--cert <file>",
      "PEM certificate chain: serve HTTPS (HTTP/2 on the deno engine); repeat --cert/--key for " +
        "more names, picked by SNI (epoll engine)",
      collect,
    )
    .option("--key <file>", "PEM private key for --cert (one per --cert, in order)", collect)
    .option("--demo-routes", "enable GET /_netlab/work?ms=N (burns N ms of CPU)")
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
      durationArg("s", 1, 86_400_000),
    )
    .option(
      "--keepalive-timeout <s>",
      "seconds an idle keep-alive connection stays open (epoll engine; default 75)",
      durationArg("s", 1, 86_400_000),
    )
    .option(
      "--send-timeout <s>",
      "seconds a client may stop reading before it is dropped (epoll engine; default 60)",
      durationArg("s", 1, 86_400_000),
    );
  return withSiteFlags(cmd);
}

/** Reads a PEM file, failing in one line that names it and says why. */
export async function readPem(what: string, file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetlabError(`Cannot read ${what} "${file}": no such file`, { cause: err });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new NetlabError(`Cannot read ${what} "${file}": permission denied`, { cause: err });
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new NetlabError(`Cannot read ${what} "${file}": it is a directory`, { cause: err });
    }
    throw err;
  }
}

/** The root given as `netlab serve DIR` goes where `--root DIR` would; both at once is an error. */
export function withRootArgument<F extends ServeFlags>(flags: F, root: string | undefined): F {
  if (root === undefined) return flags;
  if (flags.root !== undefined && flags.root !== root) {
    throw new UsageError(`Give the directory once: "${root}" or --root "${flags.root}"`);
  }
  return { ...flags, root };
}

/** Checks the flags and turns them into server options (reads the root, cert and key). */
export async function serveOptionsFrom(flags: ServeFlags): Promise<ServeOptions> {
  if ((flags.cert?.length ?? 0) !== (flags.key?.length ?? 0)) {
    throw new UsageError(
      flags.cert === undefined || flags.key === undefined
        ? "--cert and --key go together"
        : "Give one --key per --cert, in the same order",
    );
  }
  const root = flags.root ?? await defaultRoot();
  try {
    const info = await Deno.stat(root);
    if (!info.isDirectory) throw new NetlabError(`Cannot serve "${root}": not a directory`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetlabError(`Cannot serve "${root}": no such directory`, { cause: err });
    }
    throw err;
  }
  const options: ServeOptions = {
    root,
    host: flags.host,
    port: flags.port,
    list: flags.list ?? false,
    dotfiles: flags.dotfiles ?? false,
    cors: flags.cors ?? false,
    compress: flags.compress,
    demoRoutes: flags.demoRoutes ?? false,
    accessLog: !flags.quiet,
    ...await siteOptionsFrom(flags, root),
  };
  const certs = flags.cert ?? [];
  const keys = flags.key ?? [];
  for (let i = 0; i < certs.length; i++) {
    const pair = {
      cert: await readPem("certificate", certs[i]!),
      key: await readPem("key", keys[i]!),
    };
    if (i === 0) Object.assign(options, pair);
    else (options.moreCerts ??= []).push(pair);
  }
  return options;
}

/** The epoll engine's TLS options for serve options that carry a certificate and key. */
export function tlsOf(options: ServeOptions): { tls?: TlsServerOptions } {
  if (options.cert === undefined || options.key === undefined) return {};
  const first = { cert: options.cert, key: options.key };
  return { tls: { identities: [first, ...(options.moreCerts ?? [])] } };
}

/** Waits for a server to finish, giving up DRAIN_MS after `signal` aborts. */
export function drained(finished: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(resolve, DRAIN_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    finished.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/** Says in one line why `--engine epoll` runs on Deno.serve instead. */
export function warnFallback(choice: EngineChoice, pick: EnginePick): void {
  if (choice !== "epoll" || pick.reason === undefined) return;
  getLogger(["netlab", "server"]).warn(
    `Cannot run the epoll engine: ${pick.reason}; running the deno engine`,
  );
}

/** `netlab serve`. */
export function serveCommand(ctx: CliContext): Command {
  const cmd = withServeFlags(
    new Command("serve").description("Serve a directory over HTTP on a single event loop"),
  )
    .addHelpText(
      "after",
      `
Examples:
  netlab serve                                  the bundled www/ on http://127.0.0.1:8000/
  netlab serve --port 0 --quiet                 any free port, no access log
  netlab serve ./public --list --cors           your own directory, with listings and CORS
  netlab serve --host ::1 --port 8443 --cert cert.pem --key key.pem
                                                HTTPS (HTTP/2) on IPv6 loopback
  netlab serve --log-format json                access log as JSON lines
  netlab serve ./dist --spa --cache-control immutable-hashed
                                                a built single-page app (.br/.gz sent as they are)
  netlab serve ./dist --auth-file users.htpasswd --header 'X-Frame-Options: DENY'
                                                Basic auth (htpasswd -B or -s), a header of yours`,
    )
    .action(async (root, raw) => {
      const flags = withRootArgument(raw as unknown as ServeFlags, root as string | undefined);
      const options = await serveOptionsFrom(flags);
      const pick = engineFor(flags);
      await setupLogging(
        { logFormat: flags.logFormat as LogFormat, quiet: flags.quiet ?? false },
        ctx.logStream,
      );
      warnFallback(flags.engine, pick);
      await warnUnreadableRoot(options.root);
      let server: RunningServer;
      try {
        server = pick.engine === "epoll"
          ? startHttp1({ ...options, ...pick.timeouts, ...tlsOf(options), signal: ctx.signal })
          : await serve({ ...options, signal: ctx.signal });
      } catch (err) {
        const mapped = listenError(flags.host, flags.port, err);
        if (mapped !== err) throw mapped;
        if (options.cert !== undefined && err instanceof Error) {
          throw new NetlabError(
            `Cannot serve HTTPS on ${formatAddress(flags.host, flags.port)}: ${err.message}`,
            { cause: err },
          );
        }
        throw err;
      }
      ctx.ready?.({ command: "serve", host: server.addr.hostname, port: server.addr.port });
      warnAuth(flags);
      // --quiet drops info records, but tools still need to learn the port
      if (flags.quiet) {
        ctx.printErr(
          listeningLine(
            "serve",
            server.url,
            flags.logFormat as LogFormat,
            "label" in server ? server.label as string : pick.engine,
          ),
        );
      }
      await drained(server.finished, ctx.signal);
      await server.close?.(); // past the drain: what is still sent is cut, and logged as such
    });
  return cmd as unknown as Command;
}
