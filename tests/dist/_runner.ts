/**
 * Running a built netlab (bundle or binary) as a user would, from a folder outside the source tree.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { PERMISSIONS } from "../../tools/_permissions.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** How to start one built netlab: the executable and the arguments before netlab's own. */
export interface Runner {
  /** "bundle" or "binary", for test names. */
  kind: string;
  cmd: string;
  prefix: string[];
}

/**
 * A bundle run with the binary's permission flags, not `-A`: the bundle tests then also prove the
 * compiled executable's permissions are enough, on machines that cannot compile.
 */
export function bundleRunner(file: string): Runner {
  return {
    kind: "bundle",
    cmd: Deno.execPath(),
    prefix: ["run", "--no-prompt", "--unstable-net", ...PERMISSIONS, file],
  };
}

/** A `deno compile` executable. */
export function binaryRunner(file: string): Runner {
  return { kind: "binary", cmd: file, prefix: [] };
}

/** What a finished run printed. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for running netlab. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
}

/** `netlab ...args` through `runner`, output piped. */
function command(runner: Runner, args: string[], opts: RunOptions): Deno.Command {
  return new Deno.Command(runner.cmd, {
    args: [...runner.prefix, ...args],
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs netlab to completion. */
export async function run(runner: Runner, args: string[], opts: RunOptions): Promise<Output> {
  const out = await command(runner, args, opts).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A netlab server running in the background. */
export interface Server extends AsyncDisposable {
  /** "http://127.0.0.1:PORT/", from its `listening on` log line. */
  url: string;
  /** Everything it logged so far. */
  log(): string;
}

/**
 * Starts a netlab server and waits for its `listening on` line.
 *
 * @param timeoutMs how long to wait for that line
 */
export async function start(
  runner: Runner,
  args: string[],
  opts: RunOptions,
  timeoutMs = 30_000,
): Promise<Server> {
  const child = command(runner, args, opts).spawn();
  let log = "";
  let found: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (found = resolve));
  // Both streams are drained to the end, or a chatty server would block on a full pipe.
  const drain = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          log += chunk;
          // Servers log "listening on http://HOST:PORT/", the balancer "listening on HOST:PORT".
          const m = log.match(/listening on (https?:\/\/)?(\[[^\]]+\]|[^\s:/"]+):(\d+)/);
          if (m) found(`${m[1] ?? "http://"}${m[2]}:${m[3]}/`);
        },
      }),
    );
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const hard = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 8000);
    await child.status;
    clearTimeout(hard);
    await drained.catch(() => {});
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
    child.status.then((s) => reject(new Error(`exited with code ${s.code}`)));
  });
  try {
    const url = await Promise.race([listening, failed]);
    return { url, log: () => log, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw new Error(
      `netlab ${args.join(" ")} (${runner.kind}) did not start: ${(err as Error).message}\n${log}`,
    );
  } finally {
    clearTimeout(timer);
    failed.catch(() => {});
  }
}

/** A temporary folder, removed on dispose. */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}
