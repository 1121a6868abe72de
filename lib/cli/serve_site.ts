/**
 * The flags of `netlab serve` and `netlab pool` that shape what the site answers besides its files:
 * precompressed siblings, the single-page-app fallback, headers and cache policy, and Basic
 * authentication. Checked here, once, into plain handler options.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { getLogger } from "@logtape/logtape";
import { fileErrorReason, NetlabError, UsageError } from "../errors.ts";
import type { StaticOptions } from "../http/handler.ts";
import { cacheControlError, parseHeaderFlags } from "../http/_headers.ts";
import { type Credential, credentialFromFlag, parseHtpasswd } from "../http/_credentials.ts";
import { spaPath } from "../http/_spa.ts";

/** These flags as commander parses them. */
export interface SiteFlags {
  /** Unset: on. */
  precompressed?: boolean;
  spa?: string | true;
  header?: string[];
  cacheControl?: string;
  auth?: string[];
  authFile?: string;
  authInsecure?: true;
  host: string;
  cert?: string[];
}

/** The handler options these flags make. */
export type SiteOptions = Pick<
  StaticOptions,
  "precompressed" | "spa" | "headers" | "cacheControl" | "auth"
>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds the site flags to `cmd`. */
export function withSiteFlags<C extends Command>(cmd: C): C {
  cmd
    .option("--precompressed", "send FILE.br / FILE.gz for FILE when accepted (default: on)")
    .option("--no-precompressed", "never send FILE.br / FILE.gz in place of FILE")
    .option(
      "--spa [file]",
      "single-page app: browsers get FILE for missing extensionless paths (default: index.html)",
    )
    .addOption(
      new Option("--header <field>", "'Name: value' added to every response (repeatable)")
        .argParser(collect),
    )
    .option(
      "--cache-control <value>",
      "Cache-Control for files; immutable-hashed: a year for hashed names, no-cache for the rest",
    )
    .addOption(
      new Option("--auth <user:password>", "require Basic auth (repeatable; shows in ps)")
        .argParser(collect),
    )
    .option("--auth-file <file>", "require Basic auth from an htpasswd file (bcrypt or {SHA})")
    .option("--auth-insecure", "allow --auth over plain HTTP on a non-loopback address");
  return cmd;
}

/** The site options among `options`, set ones only (for a pool's workers). */
export function siteOptionsOf(options: SiteOptions): SiteOptions {
  const out: SiteOptions = {};
  if (options.precompressed !== undefined) out.precompressed = options.precompressed;
  if (options.spa !== undefined) out.spa = options.spa;
  if (options.headers !== undefined) out.headers = options.headers;
  if (options.cacheControl !== undefined) out.cacheControl = options.cacheControl;
  if (options.auth !== undefined) out.auth = options.auth;
  return out;
}

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Checks the flags and reads the htpasswd file: usage errors (exit 2) for a value that cannot be
 * used, a runtime error (exit 1) for a file that cannot be read.
 */
export async function siteOptionsFrom(flags: SiteFlags, root: string): Promise<SiteOptions> {
  const out: SiteOptions = { precompressed: flags.precompressed ?? true };
  const headers = parseHeaderFlags(flags.header ?? []);
  if (typeof headers === "string") throw new UsageError(headers);
  if (headers.length > 0) out.headers = headers;
  if (flags.cacheControl !== undefined) {
    const error = cacheControlError(flags.cacheControl);
    if (error !== null) throw new UsageError(error);
    out.cacheControl = flags.cacheControl;
  }
  if (flags.spa !== undefined) {
    out.spa = await spaFile(flags.spa === true ? "index.html" : flags.spa, root);
  }
  const auth = await credentials(flags);
  if (auth.length > 0) {
    if ((flags.cert?.length ?? 0) === 0 && !isLoopback(flags.host) && !flags.authInsecure) {
      throw new UsageError(
        `Cannot require a password over plain HTTP on "${flags.host}": it would cross the ` +
          `network in the clear; serve HTTPS (--cert, --key), listen on a loopback address, ` +
          `or pass --auth-insecure`,
      );
    }
    out.auth = auth;
  }
  return out;
}

/** Warns once when a password was given on the command line: it shows in `ps`. */
export function warnAuth(flags: SiteFlags): void {
  if ((flags.auth?.length ?? 0) === 0) return;
  getLogger(["netlab", "server"]).warn(
    "A password given with --auth shows in the process list (ps) and shell history; " +
      "--auth-file keeps it out of both",
  );
}

async function spaFile(file: string, root: string): Promise<string> {
  const at = spaPath(root, file);
  if ("error" in at) throw new UsageError(`Cannot use --spa "${file}": ${at.error}${hint(file)}`);
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(at.path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (info?.isFile) return file;
  throw new UsageError(`Cannot use --spa "${file}": no such file under "${root}"${hint(file)}`);
}

/** `netlab serve --spa ./dist` reads ./dist as the page: say how to write it. */
function hint(file: string): string {
  try {
    if (Deno.statSync(file).isDirectory) {
      return " (a directory: give the root before --spa, or write --spa=index.html)";
    }
  } catch {
    // not a directory here either
  }
  return "";
}

async function credentials(flags: SiteFlags): Promise<Credential[]> {
  const out: Credential[] = [];
  for (const text of flags.auth ?? []) {
    const cred = credentialFromFlag(text);
    if (typeof cred === "string") throw new UsageError(cred);
    out.push(cred);
  }
  if (flags.authFile !== undefined) {
    const file = flags.authFile;
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      const why = fileErrorReason(err);
      if (why === null) throw err;
      throw new NetlabError(`Cannot read --auth-file "${file}": ${why}`, { cause: err });
    }
    const parsed = parseHtpasswd(text, file);
    if (typeof parsed === "string") throw new UsageError(parsed);
    out.push(...parsed);
  }
  const users = new Set<string>();
  for (const c of out) {
    if (users.has(c.user)) {
      throw new UsageError(`Cannot use --auth: user "${c.user}" is given twice`);
    }
    users.add(c.user);
  }
  return out;
}
