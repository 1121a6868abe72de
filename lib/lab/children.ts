/**
 * The lab's servers as child processes of the same program: started, waited for until they print
 * their ready line (which carries the port they bound), and always stopped again (on success, on error and on Ctrl-C) so no process
 * and no port is left behind.
 *
 * @module
 */
import { NetlabError } from "../errors.ts";
import { selfCommand, STOP_WITH_PARENT_ENV } from "../runtime/self.ts";
import { parseReadyLine, READY_LINE_ENV, type ReadyInfo } from "../runtime/ready.ts";
import { readLines } from "./_lines.ts";
import { childSaid, portBusy, portOf, startFailure } from "./_child_failure.ts";
import { cpuTicks, startupBudgetMs, startupCapMs } from "../runtime/startup.ts";

/** What to start. It is ready once it prints its ready line (see `lib/runtime/ready.ts`). */
export interface ChildSpec {
  /** Name used in messages and reports, e.g. "balancer" or "async server 1". */
  name: string;
  /** netlab arguments of a server command, e.g. `["serve", "--port", "0", "--quiet"]`. */
  args: string[];
  /** Added to a failure message, e.g. "change it with --balancer-port". */
  hint?: string;
}

/**
 * Milliseconds a child gets to become ready on a quiet machine; more on a loaded one, and more
 * again while it keeps using CPU (see `lib/runtime/startup.ts`).
 */
const READY_TIMEOUT_MS = 20_000;
/** Milliseconds between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 5_000;
/** Lines of a child's output kept for error messages. */
const TAIL_LINES = 20;

/** One running netlab child process. Stop it with `await using` or {@link LabChild.stop}. */
export class LabChild implements AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  #process: Deno.ChildProcess;
  #tail: string[] = [];
  #listeners = new Set<(line: string) => void>();
  #drained: Promise<void>;
  #status: Promise<Deno.CommandStatus>;
  #exited: Deno.CommandStatus | undefined;
  #ready: ReadyInfo | undefined;
  #onReady = Promise.withResolvers<void>();

  constructor(spec: ChildSpec) {
    this.name = spec.name;
    const { cmd, args } = selfCommand(spec.args);
    this.#process = new Deno.Command(cmd, {
      args,
      // The pipe is never written: it closes when this process exits, even by SIGKILL, and
      // the child then stops by itself.
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1", [STOP_WITH_PARENT_ENV]: "1", [READY_LINE_ENV]: "1" },
    }).spawn();
    this.pid = this.#process.pid;
    this.#status = this.#process.status.then((s) => {
      this.#exited = s;
      return s;
    });
    this.#drained = this.#drain();
    // awaited by ready() and stop(); a child nobody waits for must not leave an unhandled rejection
    this.#drained.catch(() => {});
  }

  /** What the child's ready line said: the port it bound and where (known once ready). */
  get bound(): ReadyInfo {
    if (this.#ready === undefined) throw new Error(`The ${this.name} is not ready yet`);
    return this.#ready;
  }

  /** The port the child listens on (known once ready). */
  get port(): number {
    return this.bound.port;
  }

  /** The host the child listens on (known once ready). */
  get host(): string {
    return this.bound.host;
  }

  /** Calls `fn` for every later line the child writes to stderr; returns an unsubscribe. */
  onLine(fn: (line: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The child's last lines of output, for error messages. */
  get tail(): readonly string[] {
    return this.#tail;
  }

  async #drain(): Promise<void> {
    // stderr must be read to the end or a chatty child blocks on a full pipe.
    for await (const line of readLines(this.#process.stderr)) {
      this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      const ready = this.#ready === undefined ? parseReadyLine(line) : undefined;
      if (ready !== undefined) {
        this.#ready = ready;
        this.#onReady.resolve();
      }
      for (const fn of this.#listeners) fn(line);
    }
  }

  /**
   * Resolves at the child's ready line; rejects if the child exits, aborts, or runs out of time:
   * `budgetMs` (by default 20 s scaled by the machine's load), extended while the child keeps
   * using CPU, up to `capMs`.
   */
  async ready(
    spec: ChildSpec,
    signal?: AbortSignal,
    budgetMs: number = startupBudgetMs(READY_TIMEOUT_MS),
    capMs: number = Math.max(budgetMs, startupCapMs(READY_TIMEOUT_MS)),
  ): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#onReady.promise.then(resolve);
    const started = Date.now();
    let ticks = cpuTicks(this.pid);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    const check = () => {
      // still starting if it used CPU since the last look: wait half a budget more, up to the cap
      const now = cpuTicks(this.pid);
      const waited = Date.now() - started;
      if (
        this.#exited === undefined && now !== null && ticks !== null && now > ticks &&
        waited + budgetMs / 2 <= capMs
      ) {
        ticks = now;
        timer = setTimeout(check, budgetMs / 2);
        return;
      }
      gaveUp = true; // the exit that follows is the lab's own doing, not the child's failure
      void this.#timedOut(spec, waited).then(reject);
    };
    timer = setTimeout(check, budgetMs);
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    // Exit is only a failure once every line it wrote has been seen.
    Promise.all([this.#status, this.#drained]).then(
      ([status]) => {
        if (!gaveUp) {
          const why = `exited with code ${status.code} before it was ready`;
          reject(startFailure(this.name, spec.hint, why, this.#tail));
        }
      },
      reject,
    );
    try {
      if (signal?.aborted) throw signal.reason;
      await promise;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * The failure of a child that did not become ready in time. It is stopped first, so the port
   * it was given can be checked: the hint to change the port is given only when someone else
   * holds that port.
   */
  async #timedOut(spec: ChildSpec, waitedMs: number): Promise<NetlabError> {
    // what it says once stopped (a report, a warning) answers the stop, not why it was not ready
    const before = [...this.#tail];
    await this.stop();
    const why = `not ready after ${Math.round(waitedMs / 1000)} s`;
    const port = portOf(spec.args);
    return startFailure(
      this.name,
      spec.hint,
      why,
      before,
      port !== null && portBusy(port.host, port.port),
    );
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited !== undefined;
  }

  /** Throws when the process has exited, naming it and what it said last. */
  assertRunning(): void {
    if (this.#exited === undefined) return;
    const said = childSaid(this.#tail);
    const code = this.#exited.signal ?? `code ${this.#exited.code}`;
    throw new NetlabError(
      `The ${this.name} stopped during the lab (exit ${code})${said ? `: ${said}` : ""}`,
    );
  }

  /** Asks the child to stop (SIGTERM), kills it if it has not within 5 s, and waits for it. */
  async stop(): Promise<Deno.CommandStatus> {
    if (this.#exited === undefined) this.#kill("SIGTERM");
    const timer = setTimeout(() => this.#kill("SIGKILL"), STOP_GRACE_MS);
    try {
      const status = await this.#status;
      await this.#drained;
      return status;
    } finally {
      clearTimeout(timer);
      await this.#process.stdin.close().catch(() => {});
    }
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.#process.kill(signal);
    } catch (err) {
      // Already exited between the check and the kill.
      if (!(err instanceof TypeError) && !(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  /** Same as {@link LabChild.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * A set of children that are stopped together. Children are added before they are ready, so a
 * failure (or Ctrl-C) while starting still stops every one already spawned.
 */
export class ChildGroup implements AsyncDisposable {
  #children: LabChild[] = [];

  /** Spawns a child and waits until it is ready. */
  async start(spec: ChildSpec, signal?: AbortSignal): Promise<LabChild> {
    const child = new LabChild(spec);
    this.#children.push(child);
    await child.ready(spec, signal);
    return child;
  }

  /** Starts several children at once; if one fails, the others are stopped too. */
  async startAll(specs: ChildSpec[], signal?: AbortSignal): Promise<LabChild[]> {
    try {
      return await Promise.all(specs.map((s) => this.start(s, signal)));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Throws if any child has exited (see {@link LabChild.assertRunning}). */
  assertRunning(): void {
    for (const c of this.#children) c.assertRunning();
  }

  /** Every child started so far. */
  get children(): readonly LabChild[] {
    return this.#children;
  }

  /** Stops every child in parallel and waits for all of them. */
  async stop(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop()));
  }

  /** Same as {@link ChildGroup.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
