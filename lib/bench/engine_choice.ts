/**
 * `--engine auto`: which engine serves a target, and why. The raw engine speaks HTTP/1.1 straight
 * on sockets and keeps pace with wrk; Deno's fetch is several times slower but is the only one
 * that goes through a proxy (it reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY itself). So auto picks
 * raw unless the environment names a proxy for the target.
 *
 * @module
 */

/** An engine that makes requests. */
export type EngineName = "fetch" | "raw";

/** What a caller may ask for: an engine, or "auto" to let netlab choose. */
export type EngineRequest = EngineName | "auto";

/** The engine a run uses and the reason, as the report's first lines print it. */
export interface EngineChoice {
  /** The engine used. */
  engine: EngineName;
  /** What was asked for. */
  requested: EngineRequest;
  /** Why this engine: "auto: ..." or "asked for with --engine". */
  reason: string;
}

/** Reads one environment variable; undefined when unset or not readable. */
export type EnvReader = (name: string) => string | undefined;

/** Environment variables a proxy comes from, most specific first, as curl reads them. */
function proxyNames(protocol: string): string[] {
  const scheme = protocol === "https:" ? "https_proxy" : "http_proxy";
  // curl ignores upper-case HTTP_PROXY (a CGI server sets it from a request header); Deno's fetch
  // reads both, so both count here.
  return [scheme, scheme.toUpperCase(), "all_proxy", "ALL_PROXY"];
}

/**
 * Whether NO_PROXY (or no_proxy) excludes `url`: `*`, or an entry matching the host or a domain
 * it is in (`example.com`, `.example.com`), with an optional `:port`.
 */
export function noProxyExcludes(noProxy: string, url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    // a bare IPv6 address has several colons and no port
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry) ?? [entry, entry, undefined];
    const name = m[1]!.replace(/^\[|\]$/g, "").replace(/^\*?\./, "");
    if (m[2] !== undefined && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy variable that applies to `url` ("HTTPS_PROXY=..."), or null when none does. */
export function proxyFor(url: URL, env: EnvReader): string | null {
  const noProxy = env("no_proxy") ?? env("NO_PROXY");
  if (noProxy !== undefined && noProxyExcludes(noProxy, url)) return null;
  for (const name of proxyNames(url.protocol)) {
    const value = env(name);
    if (value !== undefined && value.trim() !== "") return name;
  }
  return null;
}

/**
 * An EnvReader over Deno.env that never prompts or throws: without env permission it sees nothing
 * (and fetch, which reads the variables itself, is then the caller's to ask for).
 */
export function denoEnv(): EnvReader {
  return (name) => {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  };
}

/**
 * Chooses the engine for `url`.
 *
 * @param requested "auto", or an engine asked for by name (kept as asked)
 * @param url the target
 * @param env where proxy variables are read from
 * @returns the engine and the reason, for the report's first lines
 *
 * @example
 * ```ts
 * import { chooseEngine } from "@netlab/netlab/bench";
 * import assert from "node:assert/strict";
 *
 * const env = (vars: Record<string, string>) => (name: string) => vars[name];
 * const url = new URL("http://127.0.0.1:8000/");
 * assert.equal(chooseEngine("auto", url, env({})).engine, "raw");
 * assert.equal(chooseEngine("auto", url, env({ HTTP_PROXY: "http://proxy:3128" })).engine, "fetch");
 * assert.equal(chooseEngine("auto", url, env({ HTTP_PROXY: "http://p:1", NO_PROXY: "127.0.0.1" })).engine, "raw");
 * ```
 */
export function chooseEngine(requested: EngineRequest, url: URL, env: EnvReader): EngineChoice {
  if (requested !== "auto") {
    return { engine: requested, requested, reason: `asked for with --engine ${requested}` };
  }
  const proxy = proxyFor(url, env);
  if (proxy !== null) {
    return {
      engine: "fetch",
      requested,
      reason: `auto: ${proxy} is set and only fetch goes through a proxy`,
    };
  }
  return {
    engine: "raw",
    requested,
    reason: `auto: an HTTP/1.1 ${url.protocol.slice(0, -1)} target, which raw serves fastest`,
  };
}
