/**
 * How netlab starts another copy of itself as a child process (the lab runs every server in its own
 * process, so each has its own event loop). One function, so a bundled or compiled netlab can answer
 * differently in one place.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

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
 * From source: `deno run -A --unstable-net <main.ts> ...args`, where main.ts is found from this
 * module's location, not the current directory.
 *
 * @param args netlab arguments, e.g. `["serve", "--port", "0"]`
 * @returns the executable and its full argument list, ready for `new Deno.Command(cmd, { args })`
 * @example
 * ```ts
 * import { selfCommand } from "./self.ts";
 * const { cmd, args } = selfCommand(["--version"]);
 * const out = await new Deno.Command(cmd, { args, stdout: "piped" }).output();
 * ```
 */
export function selfCommand(args: string[]): SelfCommand {
  const main = fileURLToPath(new URL("../../main.ts", import.meta.url));
  return { cmd: Deno.execPath(), args: ["run", "-A", "--unstable-net", main, ...args] };
}
