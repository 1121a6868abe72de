/**
 * Perf section "pool": `netlab pool --workers 2` against nginx with `worker_processes 2` on
 * www/page.html (wrk keep-alive c50; ab c10 and wrk c50 with `Connection: close`, a new connection
 * per request; the CPU each server spends per new connection, from schedstat during those runs),
 * and against `netlab serve` on the CPU-bound demo route `/_netlab/work?ms=2` (wrk c10), where a
 * pool uses both cores and a single event loop cannot. Kernel dispatch runs the epoll engine in
 * each worker (the default); queue dispatch hands requests out from Deno.serve.
 *
 * The servers take turns in a rotating order, so none always runs just after another's load;
 * each row is the median of the per-round ratios, with their range. A round where either side had
 * failed or non-2xx requests or socket errors is voided and the row says so; a throughput row says
 * how busy its load generator was, marked client-bound or CPU-bound as in `serve.ts`. `POOL_ROUNDS` sets the rounds (4).
 * `NETLAB_BEFORE=/other/checkout/main.ts` adds that checkout's kernel-dispatch pool on page.html,
 * and rows of this one against it: a change measured before and after in the same run.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { abRun, wrkRun } from "./_load.ts";
import { PerfLock } from "./_lock.ts";
import { measure, pairedRow, type Sample } from "./_paired.ts";
import {
  type Child,
  freePort,
  loadAverage,
  type PerfRow,
  processTree,
  startNetlab,
  startNginx,
  WWW,
} from "./_tools.ts";

const ROUNDS = Number(Deno.env.get("POOL_ROUNDS") ?? 4);
const WRK_SECONDS = 3;
/** ab runs per server per round; 20,000 requests is about half a second, long enough to time. */
const AB_RUNS = 2;
const AB_REQUESTS = 20_000;
const NETLAB = {
  kernel: ["pool", "--workers", "2", "--dispatch", "kernel"],
  queue: ["pool", "--workers", "2", "--dispatch", "queue"],
  serve: ["serve"],
} as const;
type Name = keyof typeof NETLAB | "nginx" | "before";
const BEFORE = Deno.env.get("NETLAB_BEFORE");
type Load = "keepAlive" | "ab" | "close" | "work";
/** Which servers each load runs on: page.html is against nginx, the CPU route against serve. */
const TARGETS: Record<Load, Name[]> = {
  keepAlive: ["kernel", "queue", "nginx", ...(BEFORE ? ["before" as const] : [])],
  ab: ["kernel", "queue", "nginx", ...(BEFORE ? ["before" as const] : [])],
  close: ["kernel", "nginx", ...(BEFORE ? ["before" as const] : [])],
  work: ["kernel", "queue", "serve"],
};

/** `names` in turn `turn`'s order: each goes first in turn. */
function rotated(names: Name[], turn: number): Name[] {
  const k = turn % names.length;
  return [...names.slice(k), ...names.slice(0, k)];
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const started = performance.now();
  const loadBefore = loadAverage();
  const base = {} as Record<Name, string>;
  const servers = {} as Record<Name, Child>;
  try {
    for (const [name, args] of Object.entries(NETLAB) as [Name, readonly string[]][]) {
      const port = freePort();
      const common = ["--demo-routes", "--quiet", "--root", WWW, "--port", String(port)];
      servers[name] = await startNetlab([...args, ...common], port);
      base[name] = `http://127.0.0.1:${port}`;
    }
    if (BEFORE !== undefined) {
      const port = freePort();
      const args = [...NETLAB.kernel, "--quiet", "--root", WWW, "--port", String(port)];
      servers.before = await startNetlab(args, port, BEFORE);
      base.before = `http://127.0.0.1:${port}`;
    }
    const nginxPort = freePort();
    servers.nginx = await startNginx(WWW, nginxPort, 2);
    base.nginx = `http://127.0.0.1:${nginxPort}`;
    const page = (name: Name) => `${base[name]}/page.html`;
    const work = (name: Name) => `${base[name]}/_netlab/work?ms=2`;
    // pids looked up for every run: a pool restarts a crashed worker
    const pids = (name: Name) => processTree(servers[name].process.pid);
    // every load holds the machine's perf lock, taken per load (see _lock.ts)
    const lock = new PerfLock();
    const loads: Record<Load, (name: Name) => Promise<Sample>> = {
      keepAlive: (name) =>
        lock.run(() =>
          measure(pids(name), () => wrkRun(page(name), { connections: 50, seconds: WRK_SECONDS }))
        ),
      ab: (name) =>
        lock.run(() =>
          measure(pids(name), () => abRun(page(name), { requests: AB_REQUESTS, concurrency: 10 }))
        ),
      close: (name) =>
        lock.run(() =>
          measure(
            pids(name),
            () => wrkRun(page(name), { connections: 50, seconds: WRK_SECONDS, close: true }),
          )
        ),
      work: (name) =>
        lock.run(() =>
          measure(pids(name), () => wrkRun(work(name), { connections: 10, seconds: WRK_SECONDS }))
        ),
    };
    // warm caches and JIT (of every worker), for reused and for new connections, before measuring
    await lock.run(async () => {
      for (const name of TARGETS.ab) {
        await wrkRun(page(name), { connections: 10, seconds: 1 });
        await abRun(page(name), { requests: 2000, concurrency: 10 });
      }
      for (const name of TARGETS.work) await wrkRun(work(name), { connections: 10, seconds: 1 });
    });

    const samples = {} as Record<Load, Record<Name, Sample[]>>;
    for (const load of Object.keys(TARGETS) as Load[]) {
      samples[load] = { kernel: [], queue: [], serve: [], nginx: [], before: [] };
    }
    const once = async (load: Load, turn: number) => {
      for (const name of rotated(TARGETS[load], turn)) {
        samples[load][name].push(await loads[load](name));
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      await once("keepAlive", round);
      for (let i = 0; i < AB_RUNS; i++) await once("ab", round * AB_RUNS + i);
      await once("close", round);
      await once("work", round);
    }
    const row = (
      name: Name,
      load: Load,
      anchor: Name,
      what: string,
      figure: "rps" | "cpuUs" = "rps",
      goal?: number,
    ): PerfRow =>
      pairedRow(
        {
          section: "pool",
          what: `${name} dispatch, 2 workers: ${what}`,
          anchorName: anchor === "nginx"
            ? "nginx, 2 workers"
            : anchor === "before"
            ? "before"
            : "netlab serve",
          figure,
          ...(goal !== undefined ? { goal } : {}),
          ...(figure === "rps" ? { client: load === "ab" ? "ab" : "wrk" } : {}),
        },
        samples[load][name],
        samples[load][anchor],
      );
    const ab = `page.html, ab -n ${AB_REQUESTS} -c10, no keep-alive`;
    const rows = [
      row("kernel", "keepAlive", "nginx", "page.html, wrk keep-alive c50", "rps", 1.0),
      row("kernel", "ab", "nginx", ab, "rps", 1.0),
      row("kernel", "close", "nginx", "page.html, wrk -c50 Connection: close", "rps", 1.0),
      row("kernel", "ab", "nginx", "CPU per new connection, ab c10 (nginx/netlab)", "cpuUs", 1.0),
      row(
        "kernel",
        "close",
        "nginx",
        "CPU per new connection, wrk close c50 (nginx/netlab)",
        "cpuUs",
        1.0,
      ),
      row("kernel", "work", "serve", "/_netlab/work?ms=2, wrk c10", "rps", 1.6),
      row("queue", "keepAlive", "nginx", "page.html, wrk keep-alive c50"),
      row("queue", "ab", "nginx", ab),
      row("queue", "work", "serve", "/_netlab/work?ms=2, wrk c10", "rps", 1.6),
      ...(BEFORE === undefined ? [] : [
        row("kernel", "keepAlive", "before", "page.html, wrk keep-alive c50 (vs before)"),
        row("kernel", "ab", "before", `${ab} (vs before)`),
        row("kernel", "close", "before", "page.html, wrk -c50 Connection: close (vs before)"),
        row("kernel", "keepAlive", "before", "CPU per keep-alive request (before/netlab)", "cpuUs"),
        row("kernel", "ab", "before", "CPU per new connection, ab c10 (before/netlab)", "cpuUs"),
      ]),
    ];
    console.error(
      `pool: ${ROUNDS} rotating rounds (${AB_RUNS} ab runs each), load average ${loadBefore} ` +
        `before, ${loadAverage()} after (2 cores), ${
          ((performance.now() - started) / 1000).toFixed(0)
        } s`,
    );
    return rows;
  } finally {
    for (const child of Object.values(servers)) await child[Symbol.asyncDispose]();
  }
}
