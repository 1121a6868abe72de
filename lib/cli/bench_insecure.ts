/**
 * `netlab bench --insecure`: the same bench again, in a Deno started without certificate checks
 * for the URLs' hosts.
 *
 * @module
 */
import type { CliContext } from "./context.ts";
import { NetlabError } from "../errors.ts";
import { selfCommand } from "../runtime/self.ts";

/** Set on the copy of netlab that `--insecure` starts with certificate checks off. */
const INSECURE_ENV = "NETLAB_BENCH_INSECURE";

/** Whether this is that copy of netlab. */
export function insecureChild(): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: INSECURE_ENV });
  return env.state === "granted" && Deno.env.get(INSECURE_ENV) === "1";
}

/**
 * Deno verifies every certificate unless started with `--unsafely-ignore-certificate-errors`, and
 * no API turns that off for one connection: so `--insecure` runs this same bench again in a Deno
 * started with that flag, for the URLs' hosts only, and passes its output and exit code through.
 */
export async function runInsecure(ctx: CliContext, urls: string[]): Promise<number> {
  const hosts = [...new Set(urls.map((u) => new URL(u).hostname.replace(/^\[|\]$/g, "")))];
  const self = selfCommand([...(ctx.args ?? [])]);
  if (self.args[0] !== "run") {
    throw new NetlabError(
      "Cannot use --insecure in a compiled netlab: its Deno flags are fixed; use --cacert FILE",
    );
  }
  const args = [
    "run",
    `--unsafely-ignore-certificate-errors=${hosts.join(",")}`,
    ...self.args.slice(1),
  ];
  const child = new Deno.Command(self.cmd, {
    args,
    env: { [INSECURE_ENV]: "1" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the child too (same process group); it prints its report and exits.
  const status = await child.status;
  return status.signal !== null ? 128 + (status.signal === "SIGINT" ? 2 : 15) : status.code;
}
