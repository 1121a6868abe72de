import { netlabCommand } from "../_netlab.ts";

/** A `netlab` child process started from source, killed (SIGKILL) on dispose if still running. */
export interface Spawned extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** The URL from the `listening on ...` line. */
  url: string;
  /** Everything written to stderr so far (complete once `status` resolved). */
  stderr(): string;
  /** Exit status; also waits for stderr to be fully read. */
  status: Promise<Deno.CommandStatus>;
}

/** How to spawn: how long to wait for the listening line, and a command other than `deno run -A`. */
export interface SpawnOptions {
  timeoutMs?: number;
  /** Executable and arguments before netlab's, e.g. to run with fewer permissions. */
  command?: [string, ...string[]];
}

/** Spawns `netlab args...` and resolves once it logs `listening on URL`. */
export async function spawnNetlab(
  args: string[],
  options: number | SpawnOptions = {},
): Promise<Spawned> {
  // a bound on a child that never listens, far past a slow start on a busy machine
  const { timeoutMs = 60_000, command } = typeof options === "number"
    ? { timeoutMs: options }
    : options;
  const io = { stdin: "null", stdout: "null", stderr: "piped", env: { NO_COLOR: "1" } } as const;
  const child =
    (command
      ? new Deno.Command(command[0], { ...io, args: [...command.slice(1), ...args] })
      : netlabCommand({ ...io, args: [...args] })).spawn();
  let text = "";
  const watch: { onText?: () => void } = {};
  const pump = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      watch.onText?.();
    }
  })();
  const status = Promise.all([child.status, pump]).then(([s]) => s);
  const spawned: Spawned = {
    child,
    url: "",
    stderr: () => text,
    status,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await status;
    },
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    spawned.url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /listening on (https?:\/\/[^\s"/]+\/)/.exec(text);
        if (m) resolve(m[1]!);
      };
      watch.onText = check;
      timer = setTimeout(() => reject(new Error(`no listening line; stderr:\n${text}`)), timeoutMs);
      status.then(() => reject(new Error(`exited before listening; stderr:\n${text}`)));
      check();
    });
  } catch (err) {
    await spawned[Symbol.asyncDispose]();
    throw err;
  } finally {
    clearTimeout(timer);
    delete watch.onText;
  }
  return spawned;
}
