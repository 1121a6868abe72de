/**
 * Why a lab child did not start, in one line: the child's own one-line error when it printed one,
 * else what the lab saw, with the port hint only when the port is to blame.
 *
 * @module
 */
import { NetlabError } from "../errors.ts";

/** How netlab prefixes its one-line errors: "netlab serve: ", "netlab: ". */
const SAID = /^netlab(?: \w+)?: /;

/** The child's own one-line error in `tail`, if it printed one (its ready line is not one). */
export function childSaid(tail: readonly string[]): string | undefined {
  const line = tail.findLast((l) => SAID.test(l) && !/\b(listening|stats) on /.test(l));
  return line?.replace(SAID, "");
}

/**
 * The error for the `name` child that failed to start for `why`, given its last lines of output.
 *
 * @param hint added when the port is to blame, e.g. "change it with --balancer-port"
 * @param portTaken whether someone else holds the port the child was given
 */
export function startFailure(
  name: string,
  hint: string | undefined,
  why: string,
  tail: readonly string[],
  portTaken = false,
): NetlabError {
  // The child already printed a one-line reason ("netlab serve: Cannot listen on ...").
  const said = childSaid(tail);
  // the hint names the port flag: only for a failure the port caused
  const blame = said !== undefined ? /^Cannot listen on /.test(said) : portTaken;
  const hinted = hint && blame ? ` (${hint})` : "";
  const message = said
    ? `Cannot start the ${name}: ${said}${hinted}`
    : `Cannot start the ${name}: ${why}${hinted}${
      tail.length ? `; its last output: ${tail.at(-1)}` : ""
    }`;
  return new NetlabError(message);
}

/** The host and port `--host`/`--port` in a child's arguments ask for, or null for none or port 0. */
export function portOf(args: readonly string[]): { host: string; port: number } | null {
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  const port = Number(value("--port") ?? 0);
  return port > 0 ? { host: value("--host") ?? "127.0.0.1", port } : null;
}

/** Whether something listens on `host:port` now (so the port, not the child, is to blame). */
export function portBusy(host: string, port: number): boolean {
  try {
    Deno.listen({ hostname: host, port }).close();
    return false;
  } catch (err) {
    return err instanceof Deno.errors.AddrInUse;
  }
}
