/**
 * How netlab starts another copy of itself as a child process (the lab runs every server in its own
 * process, so each has its own event loop). One function, so a bundled or compiled netlab can answer
 * differently in one place.
 *
 * @module
 */
import { entryPath, type RunMode, runMode } from "./mode.ts";
import { v8FlagsFor } from "./v8_flags.ts";

/** A command line that runs netlab with the given arguments. */
export interface SelfCommand {
  /** The executable. */
  cmd: string;
  /** Its arguments, ending with the netlab arguments. */
  args: string[];
}

/**
 * The command that runs this same netlab with `args`.
 *
 * - From source: `deno run -A --unstable-net [--v8-flags=...] <main.ts> ...args` (the flags of
 *   `v8_flags.ts` for a load generator, none for a server), main.ts found from this module's
 *   location, not the current directory.
 * - From a bundle: the same with the bundle file in place of main.ts.
 * - From a `deno compile` executable: the executable itself, whose permissions, unstable and V8
 *   flags were fixed when it was built.
 *
 * @param args netlab arguments, e.g. `["serve", "--port", "0"]`
 * @param mode how this netlab runs; defaults to {@linkcode runMode}'s answer
 * @returns the executable and its full argument list, ready for `new Deno.Command(cmd, { args })`
 * @example
 * ```ts
 * import { selfCommand } from "./self.ts";
 * const { cmd, args } = selfCommand(["--version"]);
 * const out = await new Deno.Command(cmd, { args, stdout: "piped" }).output();
 * ```
 */
export function selfCommand(args: string[], mode: RunMode = runMode()): SelfCommand {
  if (mode === "binary") return { cmd: Deno.execPath(), args: [...args] };
  return {
    cmd: Deno.execPath(),
    args: ["run", "-A", "--unstable-net", ...v8FlagsFor(args), entryPath(), ...args],
  };
}

/**
 * Environment variable a parent sets (to "1") on a netlab child whose stdin it keeps open as a
 * pipe: the child stops when that pipe closes (see {@linkcode stopWithParent}).
 */
export const STOP_WITH_PARENT_ENV = "NETLAB_STOP_WITH_PARENT";

/**
 * When {@linkcode STOP_WITH_PARENT_ENV} is set, calls `stop` once stdin reaches its end: the parent
 * has exited, however it died (even SIGKILL, where it could stop no one), so this child must not
 * live on holding its port.
 *
 * @param stop what to do when the parent is gone, e.g. abort the command like SIGTERM does
 */
export function stopWithParent(stop: () => void): void {
  // Parents start their children with -A; without env access this process is no one's child, and
  // `netlab --version` must not need a permission to say so.
  const env = Deno.permissions.querySync({ name: "env", variable: STOP_WITH_PARENT_ENV });
  if (env.state !== "granted" || Deno.env.get(STOP_WITH_PARENT_ENV) !== "1") return;
  (async () => {
    const buf = new Uint8Array(256);
    try {
      while (await Deno.stdin.read(buf) !== null); // the parent never writes; only EOF matters
    } catch {
      // A broken stdin says the same: the parent is gone.
    }
    stop();
  })();
}
