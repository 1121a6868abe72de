/**
 * `netlab serve`: the static site on a single event loop. Its flags are `serve_flags.ts` (shared
 * with `netlab pool`); the engine's choice and drain are `serve_engine.ts`.
 *
 * @module
 */
import { warnUnreadableRoot } from "./root_access.ts";
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { listenError, NetlabError, UsageError } from "../errors.ts";
import { listeningLine, setupLogging } from "./logging.ts";
import { defaultRoot } from "../runtime/assets.ts";
import { type RunningServer, serve, type ServeOptions } from "../server/async.ts";
import { formatAddress } from "../runtime/address.ts";
import { startHttp1 } from "../server/epoll.ts";
import { siteOptionsFrom, warnAuth } from "./serve_site.ts";
import { type ServeFlags, withRootArgument, withServeFlags } from "./serve_flags.ts";
import { drained, engineFor, tlsOf, warnFallback } from "./serve_engine.ts";

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
    .action((root, raw) =>
      runServe(ctx, withRootArgument(raw as unknown as ServeFlags, root as string | undefined))
    );
  return cmd as unknown as Command;
}

/** Runs `netlab serve` with its parsed flags until the server has drained. */
async function runServe(ctx: CliContext, flags: ServeFlags): Promise<void> {
  const options = await serveOptionsFrom(flags);
  const pick = engineFor(flags);
  await setupLogging({ logFormat: flags.logFormat, quiet: flags.quiet ?? false }, ctx.logStream);
  warnFallback(flags.engine, pick);
  await warnUnreadableRoot(options.root);
  const server = await startServer(ctx, flags, options, pick);
  ctx.ready?.({ command: "serve", host: server.addr.hostname, port: server.addr.port });
  warnAuth(flags);
  // --quiet drops info records, but tools still need to learn the port
  if (flags.quiet) {
    const engine = "label" in server ? server.label as string : pick.engine;
    ctx.printErr(listeningLine("serve", server.url, flags.logFormat, engine));
  }
  await drained(server.finished, ctx.signal);
  await server.close?.(); // past the drain: what is still sent is cut, and logged as such
}

/** Starts the server on the picked engine, or says in one line why it cannot listen. */
async function startServer(
  ctx: CliContext,
  flags: ServeFlags,
  options: ServeOptions,
  pick: ReturnType<typeof engineFor>,
): Promise<RunningServer> {
  try {
    return pick.engine === "epoll"
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
}
