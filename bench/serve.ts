/**
 * Perf section "serve": `netlab serve --quiet` (the epoll engine) against nginx (one worker,
 * access log off, sendfile on) and h2o (one thread, no access log) on www/page.html, with wrk (keep-alive, 50 connections), ab (a new
 * connection per request, concurrency 10) and wrk with `Connection: close` (a new connection per
 * request from a cheaper client, 50 connections), plus the CPU each server spends per keep-alive
 * request and per new connection (from /proc/PID/task/∗/schedstat during those runs).
 *
 * The two take turns, the order swapped each round (and each ab run); every row is the median of
 * the per-round ratios, with their range, so a burst of load from elsewhere on the shared machine
 * spoils one round, not the figure. A round where either side had failed or non-2xx requests or
 * socket errors is voided and the row says so; a throughput row says how busy the load generator
 * was (on a CPU, and queued for one), marked client-bound when it kept 90% of a core busy and
 * CPU-bound when it was runnable 90% of the time: then the rate measures the machine as much as
 * the servers, and the CPU rows are the servers' own figures. `SERVE_ROUNDS` sets the rounds (5).
 * `NETLAB_BEFORE=/other/checkout/main.ts` adds that checkout's netlab as one more contender, and
 * rows of this netlab against it: a change measured before and after in the same run.
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
  startH2o,
  startNetlab,
  startNginx,
  waitForPort,
  WWW,
} from "./_tools.ts";

const ROUNDS = Number(Deno.env.get("SERVE_ROUNDS") ?? 5);
const WRK_SECONDS = 3;
/** ab runs per server per round; 20,000 requests is about half a second, long enough to time. */
const AB_RUNS = 3;
const AB_REQUESTS = 20_000;

type Load = "keepAlive" | "ab" | "close";

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const started = performance.now();
  const loadBefore = loadAverage();
  const engine = Deno.env.get("NETLAB_ENGINE") ?? "auto";
  const before = Deno.env.get("NETLAB_BEFORE");
  const netlabArgs = (port: number) => [
    "serve",
    "--quiet",
    "--engine",
    engine,
    "--root",
    WWW,
    "--port",
    String(port),
  ];
  const starts: Record<string, (port: number) => Promise<Child>> = {
    netlab: (port) => startNetlab(netlabArgs(port), port),
    nginx: (port) => startNginx(WWW, port),
    h2o: (port) => startH2o(WWW, port),
  };
  if (before !== undefined) {
    starts.before = (port) => startNetlab(netlabArgs(port), port, before);
  }
  const names = Object.keys(starts);
  const children: Child[] = [];
  const ports: Record<string, number> = {};
  try {
    for (const name of names) {
      ports[name] = freePort();
      children.push(await starts[name]!(ports[name]!));
      await waitForPort(ports[name]!);
    }
    const pids = Object.fromEntries(names.map((n, i) => [n, children[i]!.process.pid]));
    const samples = await measureAll(names, ports, pids);
    const rows = (anchor: string) => [
      row(samples, anchor, "page.html, wrk keep-alive c50", "keepAlive", "rps", 1.2, "wrk"),
      row(
        samples,
        anchor,
        `page.html, ab -n ${AB_REQUESTS} -c10, no keep-alive`,
        "ab",
        "rps",
        1.0,
        "ab",
      ),
      row(samples, anchor, "page.html, wrk -c50 Connection: close", "close", "rps", 1.0, "wrk"),
      row(
        samples,
        anchor,
        `CPU per keep-alive request, wrk (${anchor}/netlab)`,
        "keepAlive",
        "cpuUs",
        1.0,
      ),
      row(samples, anchor, `CPU per new connection, ab c10 (${anchor}/netlab)`, "ab", "cpuUs", 1.0),
      row(
        samples,
        anchor,
        `CPU per new connection, wrk close c50 (${anchor}/netlab)`,
        "close",
        "cpuUs",
        1.0,
      ),
    ];
    console.error(
      `serve: engine ${engine}, ${ROUNDS} interleaved rounds (${AB_RUNS} ab runs each), ` +
        `load average ${loadBefore} before, ${loadAverage()} after (2 cores), ${
          ((performance.now() - started) / 1000).toFixed(0)
        } s`,
    );
    return names.filter((n) => n !== "netlab").flatMap(rows);
  } finally {
    for (const child of children.reverse()) await child[Symbol.asyncDispose]();
  }
}

/** Every load on every contender, in turns whose order rotates each round. */
async function measureAll(
  names: string[],
  ports: Record<string, number>,
  pids: Record<string, number>,
): Promise<Record<Load, Record<string, Sample[]>>> {
  const url = (name: string) => `http://127.0.0.1:${ports[name]}/page.html`;
  // every load holds the machine's perf lock, taken per load (see _lock.ts)
  const lock = new PerfLock();
  const loads: Record<Load, (name: string) => Promise<Sample>> = {
    keepAlive: (name) =>
      lock.run(() =>
        measure(
          processTree(pids[name]!),
          () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS }),
        )
      ),
    ab: (name) =>
      lock.run(() =>
        measure(
          processTree(pids[name]!),
          () => abRun(url(name), { requests: AB_REQUESTS, concurrency: 10 }),
        )
      ),
    close: (name) =>
      lock.run(() =>
        measure(
          processTree(pids[name]!),
          () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS, close: true }),
        )
      ),
  };
  // warm caches and JIT, for reused and for new connections, before measuring
  for (const name of names) {
    await lock.run(async () => {
      await wrkRun(url(name), { connections: 10, seconds: 1 });
      await abRun(url(name), { requests: 2000, concurrency: 10 });
    });
  }
  const samples = {} as Record<Load, Record<string, Sample[]>>;
  for (const load of ["keepAlive", "ab", "close"] as const) {
    samples[load] = Object.fromEntries(names.map((n) => [n, []]));
  }
  // each contender goes first in turn (and the order reverses every other round)
  const turn = (i: number): string[] => {
    const k = i % names.length;
    const order = [...names.slice(k), ...names.slice(0, k)];
    return Math.floor(i / names.length) % 2 === 0 ? order : order.reverse();
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of turn(round)) samples.keepAlive[name]!.push(await loads.keepAlive(name));
    for (let i = 0; i < AB_RUNS; i++) {
      for (const name of turn(round * AB_RUNS + i)) samples.ab[name]!.push(await loads.ab(name));
    }
    for (const name of turn(round)) samples.close[name]!.push(await loads.close(name));
  }
  return samples;
}

function row(
  samples: Record<Load, Record<string, Sample[]>>,
  anchor: string,
  what: string,
  load: Load,
  figure: "rps" | "cpuUs",
  goal: number,
  client?: string,
): PerfRow {
  return pairedRow(
    {
      section: "serve",
      what: anchor === "nginx" ? what : what.replace("page.html", `page.html vs ${anchor}`),
      anchorName: anchor,
      figure,
      // the goals are against nginx; other rows are references
      ...(anchor === "nginx" ? { goal } : {}),
      ...(client ? { client } : {}),
    },
    samples[load].netlab!,
    samples[load][anchor]!,
  );
}
