/**
 * The load generators `deno task perf` drives (wrk, ab and redis-benchmark), each run reporting what it measured,
 * why the run cannot count if it cannot (failed or non-2xx requests, socket errors, a crash), and
 * how much CPU the generator itself used: on 2 cores shared with the server under test, a
 * generator that keeps a whole core busy measures itself as much as the server.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { ensureCommands } from "./_tools.ts";

/** One run of a load generator. */
export interface LoadRun {
  rps: number;
  /** Requests completed (for ab and for wrk with `Connection: close`, connections too). */
  requests: number;
  /** Seconds the load lasted, as the generator reports it. */
  elapsed: number;
  /** CPU seconds (user + system) the generator used, from its rusage. */
  clientCpu: number;
  /** Seconds the generator was runnable but waiting for a CPU (taken by the server or others). */
  clientWait: number;
  /** Why the run must not count, when it must not. */
  problem?: string;
  /** The median latency in µs (wrk with `latency`). */
  p50Us?: number;
}

/** Options of a wrk run. */
export interface WrkOptions {
  /** @default 50 */
  connections?: number;
  /** @default 5 */
  seconds?: number;
  /** @default 1 */
  threads?: number;
  /** Send `Connection: close`: a new connection per request. */
  close?: boolean;
  /** Ask for the latency distribution (`--latency`) and report its median. */
  latency?: boolean;
}

/** Options of an ab run. */
export interface AbOptions {
  /** @default 20000 */
  requests?: number;
  /** @default 10 */
  concurrency?: number;
  keepAlive?: boolean;
}

/** Options of a redis-benchmark run (keep-alive connections, one command type). */
export interface RedisOptions {
  /** The command to send, as redis-benchmark's `-t` names it (`set`, `get`). */
  test: string;
  /** @default 20000 */
  requests?: number;
  /** @default 20 */
  clients?: number;
  /** redis-benchmark waits forever for a server it cannot reach: it is killed after this. @default 60 */
  timeoutSeconds?: number;
}

/** `bash` prints its children's rusage (`times`) to stderr after the command, keeping its status. */
const TIMED = '"$@"; status=$?; times >&2; exit $status';
/** How often the generator's run-queue wait is read while it runs. */
const POLL_MS = 10;

/** Nanoseconds the threads of `pid` have waited on a run queue (schedstat's second field). */
function runQueueNs(pid: number, last: Map<string, number>): void {
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      const fields = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).split(" ");
      last.set(t.name, Number(fields[1]));
    }
  } catch {
    // the generator or one of its threads ended meanwhile; its last reading stands
  }
}

/**
 * Runs `cmd args` and returns its stdout, stderr, exit code, CPU seconds (user + system, from its
 * rusage) and the seconds it waited for a CPU while runnable (read from schedstat every 10 ms while
 * it runs, so the last few milliseconds may be missing). Past `timeoutSeconds` it is killed, and
 * `timedOut` says so.
 */
async function timed(
  cmd: string,
  args: string[],
  timeoutSeconds = Infinity,
): Promise<
  { stdout: string; stderr: string; code: number; cpu: number; wait: number; timedOut: boolean }
> {
  const shell = new Deno.Command("bash", {
    args: ["-c", TIMED, cmd, cmd, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const waits = new Map<string, number>();
  let generator = 0;
  const poll = setInterval(() => {
    if (generator === 0) {
      try {
        const children = Deno.readTextFileSync(`/proc/${shell.pid}/task/${shell.pid}/children`);
        generator = Number(children.trim().split(" ")[0] || 0);
      } catch {
        return;
      }
    }
    if (generator !== 0) runQueueNs(generator, waits);
    if (timedOut) kill();
  }, POLL_MS);
  let timedOut = false;
  // the generator, not bash: killing bash would leave it running; not found yet, the poll kills it
  const kill = () => {
    try {
      if (generator !== 0) Deno.kill(generator, "SIGKILL");
    } catch {
      // it ended meanwhile
    }
  };
  const deadline = Number.isFinite(timeoutSeconds)
    ? setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutSeconds * 1000)
    : undefined;
  const out = await shell.output();
  clearInterval(poll);
  clearTimeout(deadline);
  const stderr = new TextDecoder().decode(out.stderr);
  // `times` prints the shell's own user/system line, then its children's
  const lines = stderr.trimEnd().split("\n");
  const seconds = [...(lines.at(-1) ?? "").matchAll(/(\d+)m([\d.]+)s/g)]
    .map((m) => Number(m[1]) * 60 + Number(m[2]));
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: lines.slice(0, -2).join("\n"),
    code: out.code,
    cpu: seconds.length === 2 ? seconds[0]! + seconds[1]! : NaN,
    wait: [...waits.values()].reduce((a, b) => a + b, 0) / 1e9,
    timedOut,
  };
}

/** wrk's duration field ("3.00s", "998.12ms", "1.00m") in seconds. */
function wrkSeconds(value: string, unit: string): number {
  const n = Number(value);
  return unit === "ms" ? n / 1000 : unit === "m" ? n * 60 : unit === "h" ? n * 3600 : n;
}

/** Runs wrk once; a run with socket errors or non-2xx/3xx answers carries a `problem`. */
export async function wrkRun(url: string, opts: WrkOptions = {}): Promise<LoadRun> {
  await ensureCommands({ wrk: "wrk" });
  const args = [`-t${opts.threads ?? 1}`, `-c${opts.connections ?? 50}`, `-d${opts.seconds ?? 5}s`];
  if (opts.close) args.push("-H", "Connection: close");
  if (opts.latency) args.push("--latency");
  const out = await timed("wrk", [...args, url]);
  const text = out.stdout;
  const rps = text.match(/Requests\/sec:\s+([\d.]+)/);
  const done = text.match(/(\d+) requests in ([\d.]+)(ms|s|m|h)\b/);
  const run: LoadRun = {
    rps: Number(rps?.[1] ?? NaN),
    requests: Number(done?.[1] ?? 0),
    elapsed: done ? wrkSeconds(done[2]!, done[3]!) : NaN,
    clientCpu: out.cpu,
    clientWait: out.wait,
  };
  const p50 = text.match(/^\s+50%\s+([\d.]+)(us|ms|s)\b/m);
  if (p50) {
    run.p50Us = Number(p50[1]) * (p50[2] === "ms" ? 1000 : p50[2] === "s" ? 1e6 : 1);
  }
  const problems = [
    text.match(/Socket errors:[^\n]*/)?.[0],
    text.match(/Non-2xx or 3xx responses:\s*\d+/)?.[0],
    out.code !== 0 ? `wrk exited ${out.code}${out.stderr ? `: ${out.stderr.trim()}` : ""}` : "",
    !rps || !done ? "wrk printed no result" : "",
  ].filter((p) => p);
  if (problems.length > 0) run.problem = `wrk: ${problems.join("; ")}`;
  return run;
}

/**
 * Runs ab once; a run with failed or non-2xx requests, fewer requests than asked, or a non-zero
 * exit carries a `problem`.
 */
export async function abRun(url: string, opts: AbOptions = {}): Promise<LoadRun> {
  await ensureCommands({ ab: "apache2-utils" });
  const n = opts.requests ?? 20000;
  const args = ["-q", "-n", String(n), "-c", String(opts.concurrency ?? 10)];
  if (opts.keepAlive) args.push("-k");
  const out = await timed("ab", [...args, url]);
  const text = out.stdout;
  const figure = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  const complete = figure(/Complete requests:\s+(\d+)/);
  const failed = figure(/Failed requests:\s+(\d+)/);
  const non2xx = figure(/Non-2xx responses:\s+(\d+)/);
  const run: LoadRun = {
    rps: figure(/Requests per second:\s+([\d.]+)/),
    requests: Number.isNaN(complete) ? 0 : complete,
    elapsed: figure(/Time taken for tests:\s+([\d.]+) seconds/),
    clientCpu: out.cpu,
    clientWait: out.wait,
  };
  const problems = [
    out.code !== 0 ? `ab exited ${out.code}${out.stderr ? `: ${out.stderr.trim()}` : ""}` : "",
    complete !== n ? `${Number.isNaN(complete) ? 0 : complete} of ${n} requests complete` : "",
    failed > 0 ? `${failed} failed requests` : "",
    non2xx > 0 ? `${non2xx} non-2xx responses` : "",
  ].filter((p) => p);
  if (problems.length > 0) run.problem = `ab: ${problems.join("; ")}`;
  return run;
}

/**
 * Runs redis-benchmark once for one command type; a run that printed an error, completed fewer
 * requests than asked, exited non-zero or had to be killed carries a `problem`.
 */
export async function redisRun(
  host: string,
  port: number,
  opts: RedisOptions,
): Promise<LoadRun> {
  await ensureCommands({ "redis-benchmark": "redis-tools" });
  const n = opts.requests ?? 20000;
  const timeout = opts.timeoutSeconds ?? 60;
  const args = ["-h", host, "-p", String(port), "-n", String(n), "-c", String(opts.clients ?? 20)];
  const out = await timed("redis-benchmark", [...args, "-t", opts.test], timeout);
  // progress lines end in carriage returns; the summary says "N requests completed in S seconds"
  // (to 10 ms) and "throughput summary: R requests per second"
  const text = out.stdout.replaceAll("\r", "\n");
  const complete = Number(text.match(/(\d+) requests completed in/)?.[1] ?? 0);
  const rps = Number(text.match(/throughput summary: ([\d.]+) requests per second/)?.[1] ?? NaN);
  const errors = `${text}\n${out.stderr}`.split("\n").filter((l) => /error|could not/i.test(l));
  const run: LoadRun = {
    rps,
    requests: complete,
    elapsed: complete / rps,
    clientCpu: out.cpu,
    clientWait: out.wait,
  };
  const problems = [
    out.timedOut ? `killed after ${timeout} s` : "",
    !out.timedOut && out.code !== 0 ? `redis-benchmark exited ${out.code}` : "",
    errors.length > 0 ? errors[0]!.trim() : "",
    !out.timedOut && complete !== n ? `${complete} of ${n} requests complete` : "",
    Number.isNaN(rps) ? "no throughput printed" : "",
  ].filter((p) => p);
  if (problems.length > 0) run.problem = `redis-benchmark: ${problems.join("; ")}`;
  return run;
}

/** Runs wrk and returns requests per second, printing any problem (for warm-ups and sections that want the rate only). */
export async function wrk(url: string, opts: WrkOptions = {}): Promise<number> {
  const run = await wrkRun(url, opts);
  if (run.problem) console.error(`${url}: ${run.problem}`);
  return run.rps;
}

/** Runs ab and returns requests per second, printing any problem. */
export async function ab(url: string, opts: AbOptions = {}): Promise<number> {
  const run = await abRun(url, opts);
  if (run.problem) console.error(`${url}: ${run.problem}`);
  return run.rps;
}
