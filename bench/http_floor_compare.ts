/**
 * How much of `netlab balance --mode http`'s cost per request is its own layer: the http mode,
 * HAProxy `mode http` and the floor prototype (`http_floor.ts`: the same loop, FFI and parsers,
 * nothing else) in front of the same four `netlab serve` backends, taking turns under the perf
 * lock (order flipped every round), wrk -c50 keep-alive on www/page.html, with each proxy's CPU
 * per request (schedstat, all threads). `FLOOR_ROUNDS` sets the rounds (3);
 * `FLOOR_BEFORE=/path/to/checkout` adds that checkout's http mode ("before") to every turn. The lock is held once
 * for the whole run (about a minute with 3 rounds), not per load: on a shared machine a queue of
 * other jobs between every load would stretch it over an hour. Not a perf section: a measuring
 * stick kept for the next one who suspects the floor.
 *
 * `deno run -A bench/http_floor_compare.ts`
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { wrkRun } from "./_load.ts";
import { PerfLock } from "./_lock.ts";
import { measure, type Sample } from "./_paired.ts";
import { startHaproxyHttp, startNetlabHttp } from "./_balance_http.ts";
import { type Child, freePort, loadAverage, median, startNetlab, startProcess } from "./_tools.ts";

const ROUNDS = Number(Deno.env.get("FLOOR_ROUNDS") ?? 3);
const FLOOR = new URL("./http_floor.ts", import.meta.url).pathname;
const BEFORE = Deno.env.get("FLOOR_BEFORE");

const children: Child[] = [];
try {
  const lock = new PerfLock();
  const backends = [freePort(), freePort(), freePort(), freePort()];
  for (const p of backends) {
    children.push(await startNetlab(["serve", "--quiet", "--port", String(p)], p));
  }
  const floorPort = freePort();
  const lbs: Record<string, Child> = {
    HAProxy: await startHaproxyHttp(freePort(), backends),
    netlab: await startNetlabHttp(freePort(), backends),
    floor: await startProcess(
      Deno.execPath(),
      ["run", "-A", "--unstable-net", FLOOR, String(floorPort), ...backends.map(String)],
      floorPort,
    ),
  };
  if (BEFORE !== undefined) {
    const port = freePort();
    const to = backends.map((p) => `127.0.0.1:${p}`).join(",");
    lbs.before = await startNetlab(
      ["balance", "--quiet", "--mode", "http", "--port", String(port), "--backend", to],
      port,
      `${BEFORE}/main.ts`,
    );
  }
  children.push(...Object.values(lbs));
  const names = Object.keys(lbs);
  const url = (n: string) => `http://127.0.0.1:${lbs[n]!.port}/page.html`;
  const load = (n: string, seconds: number): Promise<Sample> =>
    measure([lbs[n]!.process.pid], () => wrkRun(url(n), { connections: 50, seconds }));
  await lock.run(() => compare(names, load));
} finally {
  for (const c of children.reverse()) await c[Symbol.asyncDispose]();
}

/** The interleaved rounds and their summary, printed. */
async function compare(
  names: string[],
  load: (n: string, seconds: number) => Promise<Sample>,
): Promise<void> {
  console.log(`load average before: ${loadAverage()}`);
  for (const n of names) await load(n, 1);
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const s = await load(n, 3);
      samples[n]!.push(s);
      console.log(
        `round ${round} ${n.padEnd(8)} ${s.rps.toFixed(0)} req/s, ${s.cpuUs.toFixed(2)} µs CPU/req${
          s.problem ? ` (${s.problem})` : ""
        }, wrk ${Math.round(s.clientCores * 100)}% CPU`,
      );
    }
  }
  const ha = samples.HAProxy!;
  for (const n of names) {
    const rps = samples[n]!.map((s, i) => s.rps / ha[i]!.rps);
    const cpu = samples[n]!.map((s, i) => ha[i]!.cpuUs / s.cpuUs);
    const span = (x: number[]) =>
      `${median(x).toFixed(2)}x [${Math.min(...x).toFixed(2)}-${Math.max(...x).toFixed(2)}]`;
    console.log(
      `${n.padEnd(8)} median ${median(samples[n]!.map((s) => s.rps)).toFixed(0)} req/s (${
        span(rps)
      } of HAProxy), CPU/req ${median(samples[n]!.map((s) => s.cpuUs)).toFixed(2)} µs (${
        span(cpu)
      } of HAProxy's, >1 is less)`,
    );
  }
  console.log(`load average after: ${loadAverage()}`);
}
