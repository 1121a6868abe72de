/**
 * How tests start netlab from source: one place for the `deno run` prefix and for collecting a
 * finished run's output.
 *
 * @module
 */

/** Path of netlab's `main.ts`. */
export const MAIN: string = new URL("../main.ts", import.meta.url).pathname;

/** `Deno.Command` for `netlab ...args` from source; colours off unless `env` says otherwise. */
export function netlabCommand(options: Deno.CommandOptions & { args: string[] }): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    ...options,
    args: ["run", "-A", "--unstable-net", MAIN, ...options.args],
    env: { NO_COLOR: "1", ...options.env },
  });
}

/** Runs `netlab ...args` from source to completion and collects its output. */
export async function netlab(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await netlabCommand({ args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
