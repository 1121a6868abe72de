/**
 * Running netlab as a user who really may not read a file. Tests run as root, who reads anything
 * whatever its mode, so as root the child drops the two capabilities that let it (setpriv from
 * util-linux): it stays uid 0, so it can still read Deno's cache, but a mode 000 file is closed to
 * it. Not root: the mode alone closes the file. Where neither works the test is skipped, saying why.
 *
 * @module
 */
import { MAIN } from "./_netlab.ts";

const DROP = "--bounding-set=-dac_override,-dac_read_search";

/**
 * The command that runs `netlab ...` without the right to ignore file modes, or the reason there
 * is none: `[command]` for `spawnNetlab`'s `command` option (undefined: run as usual).
 */
export function unprivilegedNetlab():
  | { command: [string, ...string[]] | undefined; skip: null }
  | { command: undefined; skip: string } {
  const deno = [Deno.execPath(), "run", "-A", "--unstable-net", MAIN];
  if (Deno.uid() !== 0) return { command: undefined, skip: null };
  const probe = new Deno.Command("sh", {
    args: [
      "-c",
      `f=$(mktemp) && chmod 000 "$f" && ! setpriv ${DROP} cat "$f" 2>/dev/null; r=$?; rm -f "$f"; exit $r`,
    ],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  if (!probe.success) {
    return { command: undefined, skip: "setpriv (util-linux) cannot drop CAP_DAC_OVERRIDE here" };
  }
  return { command: ["setpriv", DROP, ...deno], skip: null };
}
