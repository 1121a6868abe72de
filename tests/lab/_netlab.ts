import { selfCommand } from "../../lib/runtime/self.ts";

/** Runs `netlab args...` from source and collects its output. */
export async function netlab(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { cmd, args: full } = selfCommand(args);
  const out = await new Deno.Command(cmd, {
    args: full,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
