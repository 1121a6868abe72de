/**
 * The http-mode rows of perf section "balance": `netlab balance --mode http` against HAProxy
 * `mode http` (`nbthread 1`, `http-reuse safe`, `balance roundrobin`) in front of the same four
 * `netlab serve` backends, on www/page.html, taking turns (order flipped every round): wrk -c50
 * keep-alive, wrk -c50 with `Connection: close`, ab -c10 (a connection per request), with the
 * CPU each proxy spends per request (schedstat, all threads); then memory per idle client
 * connection held through each, and `/stats` latency of an http-mode balancer under wrk -c64.
 * `BALANCE_ONLY=http deno task perf balance` runs only these.
 *
 * @module
 */
import { abRun, type LoadRun, wrkRun } from "./_load.ts";
import type { PerfLock } from "./_lock.ts";
import { measure, pairedRow, type Sample } from "./_paired.ts";
import { memoryPerConnection, percentile, statsUnderLoad } from "./_balance_side.ts";
import {
  type Child,
  ensureCommands,
  freePort,
  median,
  type PerfRow,
  startNetlab,
  startProcess,
} from "./_tools.ts";

const PATH = "/page.html";
const WRK_SECONDS = 3;
const AB_REQUESTS = 10_000;

/** HAProxy `mode http` over `backends`, one thread, connections reused when safe. */
export function haproxyHttpConfig(port: number, backends: number[]): string {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  http-reuse safe
  option forwardfor
  timeout connect 3s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
${backends.map((p, i) => `  server b${i} 127.0.0.1:${p}`).join("\n")}
`;
}

/** Starts HAProxy `mode http` on 127.0.0.1:port over the 127.0.0.1 `backends`. */
export async function startHaproxyHttp(port: number, backends: number[]): Promise<Child> {
  await ensureCommands({ haproxy: "haproxy" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-http-" });
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyHttpConfig(port, backends));
  return startProcess("haproxy", ["-f", `${dir}/haproxy.cfg`, "-db"], port);
}

/** `netlab balance --mode http` on `port` over `backends`, with `extra` arguments. */
export function startNetlabHttp(
  port: number,
  backends: number[],
  extra: string[] = [],
): Promise<Child> {
  const to = backends.map((p) => `127.0.0.1:${p}`).join(",");
  return startNetlab(
    ["balance", "--quiet", "--mode", "http", "--port", String(port), "--backend", to, ...extra],
    port,
  );
}

/** `/stats` of an http-mode balancer (a fresh one, with a stats port) while wrk -c64 loads it. */
async function statsLine(lock: PerfLock, backends: number[]): Promise<string> {
  const port = freePort(), statsPort = freePort();
  await using _ = await startNetlabHttp(port, backends, ["--stats-port", String(statsPort)]);
  const { times: t, problem } = await statsUnderLoad(
    lock,
    `http://127.0.0.1:${port}${PATH}`,
    statsPort,
  );
  return `  /stats during wrk -c64 (http mode): p50 ${percentile(t, 0.5).toFixed(1)} ms, p99 ${
    percentile(t, 0.99).toFixed(1)
  } ms, max ${Math.max(...t).toFixed(1)} ms over ${t.length} requests (goal: p99 < 20 ms)${
    problem ? `; ${problem}` : ""
  }`;
}

type Name = "HAProxy" | "netlab";
type Load = "keepAlive" | "close" | "ab";

/** The http-mode rows, and lines for the section's notes. */
export async function httpRows(
  lock: PerfLock,
  backends: number[],
  rounds: number,
): Promise<{ rows: PerfRow[]; lines: string[] }> {
  const children: Child[] = [];
  try {
    const lbs: Record<Name, Child> = {
      HAProxy: await startHaproxyHttp(freePort(), backends),
      netlab: await startNetlabHttp(freePort(), backends),
    };
    children.push(...Object.values(lbs));
    const url = (name: Name) => `http://127.0.0.1:${lbs[name].port}${PATH}`;
    const measured = (name: Name, load: () => Promise<LoadRun>): Promise<Sample> =>
      lock.run(() => measure([lbs[name].process.pid], load));
    const loads: Record<Load, (name: Name) => Promise<Sample>> = {
      keepAlive: (n) =>
        measured(n, () => wrkRun(url(n), { connections: 50, seconds: WRK_SECONDS })),
      close: (n) =>
        measured(n, () => wrkRun(url(n), { connections: 50, seconds: WRK_SECONDS, close: true })),
      ab: (n) => measured(n, () => abRun(url(n), { requests: AB_REQUESTS, concurrency: 10 })),
    };
    const names: Name[] = ["HAProxy", "netlab"];
    for (const n of names) {
      await lock.run(() => wrkRun(url(n), { connections: 10, seconds: 1 }));
      await lock.run(() => abRun(url(n), { requests: 2000, concurrency: 10 }));
    }
    const samples: Record<Load, Record<Name, Sample[]>> = {
      keepAlive: { HAProxy: [], netlab: [] },
      close: { HAProxy: [], netlab: [] },
      ab: { HAProxy: [], netlab: [] },
    };
    for (let round = 0; round < rounds; round++) {
      for (const load of ["keepAlive", "close", "ab"] as const) {
        const order = round % 2 === 0 ? names : [...names].reverse();
        for (const n of order) samples[load][n].push(await loads[load](n));
      }
    }
    const rows: PerfRow[] = [];
    const what: Record<Load, string> = {
      keepAlive: "http mode: wrk -c50 keep-alive",
      close: "http mode: wrk -c50 Connection: close",
      ab: `http mode: ab -n ${AB_REQUESTS} -c10`,
    };
    for (const load of ["keepAlive", "close", "ab"] as const) {
      const client = load === "ab" ? "ab" : "wrk";
      const [a, b] = [samples[load].netlab, samples[load].HAProxy];
      const o = { section: "balance", anchorName: "HAProxy http", client };
      rows.push(pairedRow({ ...o, what: what[load], figure: "rps", goal: 1 }, a, b));
      rows.push(pairedRow({ ...o, what: `CPU per request, ${what[load]}`, figure: "cpuUs" }, a, b));
    }
    const lines = ["http mode, CPU per request (all threads, schedstat), median of rounds:"];
    for (const n of names) {
      const part = (load: Load) => {
        const c = samples[load][n].filter((s) => !s.problem).map((s) => s.cpuUs);
        return c.length
          ? `${median(c).toFixed(1)} µs [${Math.min(...c).toFixed(1)}-${Math.max(...c).toFixed(1)}]`
          : "no clean run";
      };
      lines.push(
        `  ${n.padEnd(8)} keep-alive ${part("keepAlive")}; close ${part("close")}; ab ${
          part("ab")
        }`,
      );
    }
    for (const n of names) {
      const kib = await memoryPerConnection(lbs[n].process.pid, lbs[n].port, 2000);
      lines.push(
        `  ${n.padEnd(8)} ${kib.toFixed(2)} KiB per idle client connection (http mode, 2000 held)`,
      );
    }
    lines.push(await statsLine(lock, backends));
    return { rows, lines };
  } finally {
    for (const c of children.reverse()) await c[Symbol.asyncDispose]();
  }
}
