/**
 * Perf section "balance": `netlab balance` (both engines) against HAProxy (`mode tcp`,
 * `nbthread 1`, `balance roundrobin`) in front of the same four `netlab serve` backends, on
 * www/page.html: ab (a new connection per request, concurrency 10), wrk keep-alive (50
 * connections), and the CPU each proxy spends per proxied connection and per keep-alive request
 * (all its threads, from /proc/PID/task/∗/schedstat during those runs, as
 * ../shared/evidence/epoll/bench.py measures it); redis-benchmark SET and GET through HAProxy and
 * the epoll engine in front of two redis-server backends; memory per held idle connection; /stats
 * latency under load.
 *
 * The proxies take turns, the order flipped every round (and every ab run); each row is the median
 * of the per-round ratios to HAProxy, with their range. A round where either side had failed or
 * non-2xx requests, socket errors or a redis error is voided and the row says so; a throughput row
 * says how busy its load generator was, marked client-bound or CPU-bound as in `serve.ts`. Every
 * load takes `flock /tmp/netlab-perf.lock` itself, so this section must not be run under that
 * command. `BALANCE_ROUNDS` sets the rounds (5). `BALANCE_BEFORE=/path/to/checkout` adds that
 * checkout's epoll engine ("before", e.g. a worktree of main) to every turn, so a change is
 * measured against the code before it in the same run. The http mode's rows against HAProxy
 * `mode http` are `_balance_http.ts`'s; `BALANCE_ONLY=http` runs only those.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { abRun, type LoadRun, redisRun, wrkRun } from "./_load.ts";
import { PerfLock } from "./_lock.ts";
import { measure, pairedRow, type Sample } from "./_paired.ts";
import { startBalance, startHaproxy, startRedis } from "./_proxies.ts";
import { memoryPerConnection, percentile, statsUnderLoad } from "./_balance_side.ts";
import { type Child, freePort, loadAverage, median, type PerfRow, startNetlab } from "./_tools.ts";
import { httpRows } from "./_balance_http.ts";

const ROUNDS = Number(Deno.env.get("BALANCE_ROUNDS") ?? 5);
const PATH = "/page.html";
const WRK_SECONDS = 3;
/** ab runs per proxy per round; 20,000 requests is about a second here, long enough to time. */
const AB_RUNS = 2;
const AB_REQUESTS = 20_000;
const REDIS_REQUESTS = 20_000;
const TICK_US = 1e6 / 100; // USER_HZ

/** A checkout whose epoll engine runs beside this one's as "before". */
const BEFORE = Deno.env.get("BALANCE_BEFORE");
type Name = "HAProxy" | "epoll" | "deno" | "before";
const NAMES: readonly Name[] = BEFORE ? ["HAProxy", "epoll", "deno", "before"] : [
  "HAProxy",
  "epoll",
  "deno",
];
/** The netlab sides compared with HAProxy in the throughput rows. */
const SIDES: readonly Exclude<Name, "HAProxy">[] = NAMES.filter((n) => n !== "HAProxy") as never;
/** A side's label in a row. */
const label = (name: Name) => name === "before" ? "epoll, before" : name;
const empty = <T>(): Record<Name, T[]> => ({ HAProxy: [], epoll: [], deno: [], before: [] });
type Load = "ab" | "keepAlive";
type RedisOp = "set" | "get";

/** A sample with the proxy's user time per request, in µs (from clock ticks: coarse). */
type Run = Sample & { userUs: number };

/** User-mode clock ticks of `pid` so far (all its threads: /proc/PID/stat's utime). */
function userTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[11]);
}

/** `names` in turn `i`'s order: as given, then reversed. */
function turn<T>(names: readonly T[], i: number): T[] {
  return i % 2 === 0 ? [...names] : [...names].reverse();
}

const us = (x: number) => x.toFixed(1);

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const started = performance.now();
  const loadBefore = loadAverage();
  const lock = new PerfLock();
  const children: Child[] = [];
  try {
    const backends = [freePort(), freePort(), freePort(), freePort()];
    for (const p of backends) {
      children.push(await startNetlab(["serve", "--quiet", "--port", String(p)], p));
    }
    if (Deno.env.get("BALANCE_ONLY") === "http") {
      const http = await httpRows(lock, backends, ROUNDS);
      console.error(
        [
          `balance (http mode only): ${ROUNDS} interleaved rounds, load average ${loadBefore} before, ${loadAverage()} after`,
          ...http.lines,
        ].join("\n"),
      );
      return http.rows;
    }
    const lbs = {
      HAProxy: await startHaproxy(freePort(), backends),
      epoll: await startBalance(freePort(), backends, "epoll"),
      deno: await startBalance(freePort(), backends, "deno"),
    } as Record<Name, Child>;
    if (BEFORE) {
      lbs.before = await startBalance(freePort(), backends, "epoll", [], `${BEFORE}/main.ts`);
    }
    children.push(...Object.values(lbs));
    const url = (name: Name) => `http://127.0.0.1:${lbs[name].port}${PATH}`;
    /** One load under the lock, with the proxy's CPU (schedstat) and user ticks around it. */
    const measured = (proxy: Child, load: () => Promise<LoadRun>): Promise<Run> =>
      lock.run(async () => {
        const pid = proxy.process.pid;
        let requests = 0;
        const ticks = userTicks(pid);
        const sample = await measure([pid], async () => {
          const run = await load();
          requests = run.requests;
          return run;
        });
        return { ...sample, userUs: (userTicks(pid) - ticks) * TICK_US / requests };
      });
    const loads: Record<Load, (name: Name) => Promise<Run>> = {
      ab: (name) =>
        measured(lbs[name], () => abRun(url(name), { requests: AB_REQUESTS, concurrency: 10 })),
      keepAlive: (name) =>
        measured(lbs[name], () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS })),
    };
    // warm caches and JIT, for reused and for new connections, before measuring
    for (const name of NAMES) {
      await lock.run(() => wrkRun(url(name), { connections: 10, seconds: 1 }));
      await lock.run(() => abRun(url(name), { requests: 2000, concurrency: 10 }));
    }
    const samples: Record<Load, Record<Name, Run[]>> = { ab: empty(), keepAlive: empty() };
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < AB_RUNS; i++) {
        for (const name of turn(NAMES, round * AB_RUNS + i)) {
          samples.ab[name].push(await loads.ab(name));
        }
      }
      for (const name of turn(NAMES, round)) {
        samples.keepAlive[name].push(await loads.keepAlive(name));
      }
    }

    // redis: two redis-server backends, HAProxy and the epoll engine in front of them
    const redisBackends = [freePort(), freePort()];
    for (const p of redisBackends) children.push(await startRedis(p));
    const fronts = {
      HAProxy: await startHaproxy(freePort(), redisBackends),
      epoll: await startBalance(freePort(), redisBackends, "epoll"),
    } as Record<"HAProxy" | "epoll" | "before", Child>;
    if (BEFORE) {
      fronts.before = await startBalance(
        freePort(),
        redisBackends,
        "epoll",
        [],
        `${BEFORE}/main.ts`,
      );
    }
    const redisNames = BEFORE
      ? ["HAProxy", "epoll", "before"] as const
      : ["HAProxy", "epoll"] as const;
    children.push(...Object.values(fronts));
    const redisLoad = (name: keyof typeof fronts, op: RedisOp, requests = REDIS_REQUESTS) =>
      measured(
        fronts[name],
        () => redisRun("127.0.0.1", fronts[name].port, { test: op, requests, clients: 20 }),
      );
    for (const name of redisNames) {
      for (const op of ["set", "get"] as const) await redisLoad(name, op, 2000); // warm-up
    }
    const redis: Record<RedisOp, Record<Name, Run[]>> = { set: empty(), get: empty() };
    for (let round = 0; round < ROUNDS; round++) {
      for (const op of ["set", "get"] as const) {
        for (const name of turn(redisNames, round)) {
          redis[op][name].push(await redisLoad(name, op));
        }
      }
    }

    const rows: PerfRow[] = [];
    const row = (
      what: string,
      netlab: Sample[],
      anchor: Sample[],
      figure: "rps" | "cpuUs",
      extra: { goal?: number; client?: string } = {},
    ) =>
      rows.push(
        pairedRow(
          { section: "balance", what, anchorName: "HAProxy", figure, ...extra },
          netlab,
          anchor,
        ),
      );
    const ab = `ab -n ${AB_REQUESTS} -c10, a connection per request`;
    for (const engine of SIDES) {
      row(`${ab} (${label(engine)})`, samples.ab[engine], samples.ab.HAProxy, "rps", {
        goal: 1,
        client: "ab",
      });
      row(
        `wrk -c50 keep-alive (${label(engine)})`,
        samples.keepAlive[engine],
        samples.keepAlive.HAProxy,
        "rps",
        {
          goal: 1,
          client: "wrk",
        },
      );
    }
    for (const op of ["set", "get"] as const) {
      for (const side of redisNames.filter((n) => n !== "HAProxy")) {
        row(
          `redis-benchmark -n ${REDIS_REQUESTS} -c 20 ${op.toUpperCase()} (${label(side)})`,
          redis[op][side],
          redis[op].HAProxy,
          "rps",
          { goal: 0.95, client: "redis-benchmark" },
        );
      }
    }
    for (const engine of SIDES) {
      row(
        `CPU per proxied connection, ab c10 (HAProxy/${label(engine)})`,
        samples.ab[engine],
        samples.ab.HAProxy,
        "cpuUs",
      );
    }
    for (const engine of SIDES) {
      row(
        `CPU per keep-alive request, wrk c50 (HAProxy/${label(engine)})`,
        samples.keepAlive[engine],
        samples.keepAlive.HAProxy,
        "cpuUs",
      );
    }

    const cpuLines = NAMES.map((name) => {
      const ok = (runs: Run[]) => runs.filter((r) => !r.problem);
      const abRuns = ok(samples.ab[name]);
      const c = abRuns.map((r) => r.cpuUs);
      const w = ok(samples.keepAlive[name]).map((r) => r.cpuUs);
      if (c.length === 0 || w.length === 0) return `  ${name.padEnd(8)} no run without a problem`;
      return `  ${name.padEnd(8)} ${us(median(c))} µs [${us(Math.min(...c))}-${
        us(Math.max(...c))
      }] (user ${us(median(abRuns.map((r) => r.userUs)))}) per proxied connection (ab c10); ${
        us(median(w))
      } µs per keep-alive request (wrk)`;
    });

    // memory per held idle connection, and /stats under load
    const memLines: string[] = [];
    for (const name of NAMES) {
      const kib = await memoryPerConnection(lbs[name].process.pid, lbs[name].port, 2000);
      memLines.push(
        `  ${name.padEnd(8)} ${kib.toFixed(1)} KiB per held idle connection (2000 held)`,
      );
    }
    const statsPort = freePort();
    const lbPort = freePort();
    let statsLine: string;
    {
      await using _ = await startBalance(lbPort, backends, "epoll", [
        "--stats-port",
        String(statsPort),
      ]);
      const { times: t, problem } = await statsUnderLoad(
        lock,
        `http://127.0.0.1:${lbPort}${PATH}`,
        statsPort,
      );
      statsLine = `  /stats during wrk -c64 (epoll): p50 ${percentile(t, 0.5).toFixed(1)} ms, p99 ${
        percentile(t, 0.99).toFixed(1)
      } ms, max ${Math.max(...t).toFixed(1)} ms over ${t.length} requests (goal: p99 < 20 ms)${
        problem ? `; ${problem}` : ""
      }`;
    }
    const http = await httpRows(lock, backends, ROUNDS);
    rows.push(...http.rows);
    console.error(
      [
        `balance: ${ROUNDS} interleaved rounds (${AB_RUNS} ab runs each), load average ${loadBefore} ` +
        `before, ${loadAverage()} after (2 cores), ${
          ((performance.now() - started) / 1000).toFixed(0)
        } s (${(lock.waitedMs / 1000).toFixed(0)} s of it waiting for the perf lock)`,
        "CPU (all threads, schedstat), median [range] of rounds:",
        ...cpuLines,
        "Memory:",
        ...memLines,
        statsLine,
        ...http.lines,
      ].join("\n"),
    );
    return rows;
  } finally {
    for (const c of children.reverse()) await c[Symbol.asyncDispose]();
  }
}
