/**
 * The line a netlab server writes to stderr once it takes requests, when its parent asked for one:
 * `netlab-ready {"command":"serve","host":"127.0.0.1","port":9002}`. A parent learns from it that
 * the child is ready and which port it bound (with `--port 0`, the one the kernel chose), without
 * matching log text or probing for free ports first.
 *
 * @module
 */

/** Environment variable a parent sets to "1" to ask its netlab child for a ready line. */
export const READY_LINE_ENV = "NETLAB_READY_LINE";

const PREFIX = "netlab-ready ";

/** What a ready line carries. */
export interface ReadyInfo {
  /** The command that is ready: "serve", "pool" or "balance". */
  command: string;
  /** The address it listens on. */
  host: string;
  /** The port it bound. */
  port: number;
  /** The balancer's stats endpoint port, when it has one. */
  statsPort?: number;
}

/** True when this process was asked for a ready line (needs no permission to ask). */
export function readyLineWanted(): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: READY_LINE_ENV });
  return env.state === "granted" && Deno.env.get(READY_LINE_ENV) === "1";
}

/** The ready line for `info`, newline included. */
export function formatReadyLine(info: ReadyInfo): string {
  return `${PREFIX}${JSON.stringify(info)}\n`;
}

/** The information in a ready line, or undefined for any other line. */
export function parseReadyLine(line: string): ReadyInfo | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  try {
    const info = JSON.parse(line.slice(PREFIX.length));
    if (typeof info?.host === "string" && Number.isInteger(info?.port)) return info as ReadyInfo;
  } catch {
    // not a ready line after all
  }
  return undefined;
}
