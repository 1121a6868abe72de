/**
 * One running reference (nginx or HAProxy) under a small `sh` guard that stops it when the guard's
 * stdin (a pipe from the lab) closes, so even a lab killed outright leaves none behind.
 *
 * @module
 */
import { startupBudgetMs } from "../runtime/startup.ts";
import { NetlabError } from "../errors.ts";
import type { AnchorModel } from "./types.ts";

/** Milliseconds a reference gets to accept connections. */
const READY_TIMEOUT_MS = 20_000;
/** Milliseconds between closing the guard's stdin and SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** One running reference; stop it with `await using`. */
export class AnchorProcess implements AsyncDisposable {
  readonly name: string;
  readonly model: AnchorModel;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  #process: Deno.ChildProcess;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #stderr: Promise<string>;

  constructor(o: { name: string; model: AnchorModel; host: string; port: number; cmd: string[] }) {
    this.name = o.name;
    this.model = o.model;
    this.host = o.host;
    this.port = o.port;
    // The guard starts the tool in the background, waits for its own stdin to end (the lab
    // closes it, or dies), then stops the tool and waits for it. It ignores Ctrl-C's SIGINT,
    // which reaches the whole terminal's process group: the tool, started in the background by a
    // script, ignores it too, so only the guard can stop it and must outlive that signal.
    const guard =
      'trap "" INT; "$@" </dev/null & child=$!; cat >/dev/null; kill -TERM $child; wait $child';
    this.#process = new Deno.Command("sh", {
      args: ["-c", guard, "sh", ...o.cmd],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.pid = this.#process.pid;
    this.#status = this.#process.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.#stderr = new Response(this.#process.stderr).text();
  }

  /** Resolves once the port accepts connections; rejects if the process exits or times out. */
  async ready(signal?: AbortSignal): Promise<void> {
    const budget = startupBudgetMs(READY_TIMEOUT_MS);
    const until = Date.now() + budget;
    while (true) {
      signal?.throwIfAborted();
      if (this.#exited) {
        const said = (await this.#stderr).trim().split("\n").at(-1) ?? "";
        throw new NetlabError(`Cannot start the ${this.name}: it exited${said ? `: ${said}` : ""}`);
      }
      try {
        (await Deno.connect({ hostname: this.host, port: this.port })).close();
        return;
      } catch (err) {
        if (!(err instanceof Deno.errors.ConnectionRefused)) throw err;
      }
      if (Date.now() > until) {
        throw new NetlabError(
          `Cannot start the ${this.name}: not listening after ${Math.round(budget / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Throws when the process has exited. */
  assertRunning(): void {
    if (this.#exited) throw new NetlabError(`The ${this.name} stopped during the lab`);
  }

  /** Closes the guard's stdin (it stops the tool), SIGKILLs the guard's group after 5 s. */
  async stop(): Promise<void> {
    await this.#process.stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#process.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, STOP_GRACE_MS);
    try {
      await this.#status;
      await this.#stderr.catch(() => "");
    } finally {
      clearTimeout(timer);
    }
  }

  /** Same as {@link AnchorProcess.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
