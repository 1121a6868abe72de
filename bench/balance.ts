/**
 * `deno task perf balance`: netlab balance (both engines) against HAProxy (`mode tcp`,
 * `nbthread 1`, `balance roundrobin`) in front of the same four `netlab serve` backends:
 * ab -n 5000 -c 10 (a new connection per request), wrk -c50 keep-alive, and the CPU each
 * process spends per proxied connection (from /proc/PID/task/* /schedstat, as
 * ../shared/evidence/epoll/bench.py measures it); redis-benchmark through both in front of two
 * redis-server backends; memory per held idle connection; /stats latency under load.
 * Rounds are interleaved (the order flips every round) and every load runs under
 * `flock /tmp/netlab-perf.lock`; the report gives the median and the range of the per-round
 * ratios. `BALANCE_ROUNDS` sets the number of rounds (default 5).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  type Child,
  ensureCommands,
  freePort,
  type PerfRow,
  startNetlab,
  startProcess,
} from "./_tools.ts";

const PATH = "/page.html";
const ROUNDS = Number(Deno.env.get("BALANCE_ROUNDS") ?? 5);
const LOCK = "/tmp/netlab-perf.lock";
const TICK_US = 1e6 / 100; // USER_HZ

/** Runs a load command under the perf lock and returns its stdout. */
async function locked(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("flock", {
    args: [LOCK, cmd, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** On-CPU seconds of every thread of `pid` (schedstat), and its user ticks. */
function cpuOf(pid: number): { total: number; user: number } {
  let total = 0;
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).split(" ")[0]);
    } catch { /* the thread ended */ }
  }
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { total: total / 1e9, user: Number(fields[11]) };
}

interface Sample {
  rps: number;
  /** CPU per request (per connection for ab) in µs, all threads, and its user part. */
  cpuUs: number;
  userUs: number;
}

async function withCpu(pid: number, load: () => Promise<{ rps: number; reqs: number }>) {
  const before = cpuOf(pid);
  const { rps, reqs } = await load();
  const after = cpuOf(pid);
  return {
    rps,
    cpuUs: (after.total - before.total) / reqs * 1e6,
    userUs: (after.user - before.user) * TICK_US / reqs,
  };
}

async function ab(url: string): Promise<{ rps: number; reqs: number }> {
  const text = await locked("ab", ["-q", "-n", "5000", "-c", "10", url]);
  const rps = Number(text.match(/Requests per second:\s+([\d.]+)/)?.[1] ?? NaN);
  const failed = Number(text.match(/Failed requests:\s+(\d+)/)?.[1] ?? 0);
  if (failed > 0 || Number.isNaN(rps)) console.error(`ab problems on ${url}:\n${text}`);
  return { rps, reqs: Number(text.match(/Complete requests:\s+(\d+)/)?.[1] ?? 5000) };
}

async function wrk(url: string, seconds = 3, connections = 50) {
  const text = await locked("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, url]);
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  if (/Non-2xx|Socket errors/.test(text) || Number.isNaN(rps)) {
    console.error(`wrk problems on ${url}:\n${text}`);
  }
  return { rps, reqs: Number(text.match(/(\d+) requests in/)?.[1] ?? 1) };
}

async function redisBench(port: number): Promise<{ set: number; get: number }> {
  const text = await locked("redis-benchmark", [
    ...["-h", "127.0.0.1", "-p", String(port), "-n", "20000", "-c", "20", "-t", "set,get", "-q"],
  ]);
  // -q prints "SET: 61349.69 requests per second, ..." (carriage returns before it)
  const figure = (name: string) =>
    Number(text.match(new RegExp(`${name}: ([\\d.]+) requests per second`))?.[1] ?? NaN);
  const r = { set: figure("SET"), get: figure("GET") };
  if (Number.isNaN(r.set) || Number.isNaN(r.get)) console.error(`redis-benchmark:\n${text}`);
  return r;
}

function haproxyConfig(port: number, backends: number[], maxconn = 4096): string {
  return `global
  nbthread 1
  maxconn ${maxconn}
defaults
  mode tcp
  timeout connect 3s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
${backends.map((p, i) => `  server b${i} 127.0.0.1:${p}`).join("\n")}
`;
}

async function startHaproxy(port: number, backends: number[], maxconn?: number): Promise<Child> {
  await ensureCommands({ haproxy: "haproxy" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-" });
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyConfig(port, backends, maxconn));
  return startProcess("haproxy", ["-f", `${dir}/haproxy.cfg`, "-db"], port);
}

type Engine = "epoll" | "deno";

function startBalance(port: number, backends: number[], engine: Engine, extra: string[] = []) {
  return startNetlab([
    "balance",
    "--quiet",
    "--engine",
    engine,
    "--port",
    String(port),
    "--backend",
    backends.map((p) => `127.0.0.1:${p}`).join(","),
    ...extra,
  ], port);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const us = (x: number) => x.toFixed(1);

/** A row from per-round pairs: medians of each side, ratio median and range in `what`. */
function row(what: string, ours: number[], theirs: number[], anchorName: string, goal?: number) {
  const ratios = ours.map((x, i) => x / theirs[i]!);
  const [lo, hi] = range(ratios);
  const r: PerfRow = {
    section: "balance",
    what: `${what}; ratio median ${median(ratios).toFixed(2)} [${lo.toFixed(2)}-${
      hi.toFixed(2)
    }] of ${ratios.length}`,
    netlab: median(ours),
    anchor: median(theirs),
    anchorName,
    unit: "req/s",
  };
  if (goal !== undefined) r.goal = goal;
  return r;
}

/** Resident memory of a process in KiB. */
function rssKib(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/);
  return Number(m?.[1] ?? 0);
}

/** KiB of resident memory per idle connection held through the balancer on `port`. */
async function memoryPerConnection(pid: number, port: number, n: number): Promise<number> {
  const conns: Deno.TcpConn[] = [];
  const before = rssKib(pid);
  try {
    for (let i = 0; i < n; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    // one request each, so every connection is through to its backend and has moved bytes
    const req = new TextEncoder().encode(`GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n`);
    await Promise.all(conns.map(async (c) => {
      await c.write(req);
      await c.read(new Uint8Array(4096));
    }));
    await new Promise((r) => setTimeout(r, 500));
    return (rssKib(pid) - before) / n;
  } finally {
    for (const c of conns) c.close();
  }
}

/** /stats latencies (ms) sampled every 20 ms while wrk -c64 loads the balancer. */
async function statsUnderLoad(port: number, statsPort: number): Promise<number[]> {
  const times: number[] = [];
  let loading = true;
  const sampler = (async () => {
    await new Promise((r) => setTimeout(r, 300));
    while (loading) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${statsPort}/stats`);
      await res.body?.cancel();
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await wrk(`http://127.0.0.1:${port}${PATH}`, 4, 64);
  loading = false;
  await sampler;
  return times;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  await ensureCommands({ ab: "apache2-utils", wrk: "wrk", "redis-server": "redis-server" });
  const loadBefore = load();
  const ports = [freePort(), freePort(), freePort(), freePort()];
  const children: Child[] = [];
  const rows: PerfRow[] = [];
  try {
    for (const p of ports) {
      children.push(await startNetlab(["serve", "--quiet", "--port", String(p)], p));
    }
    const names = ["HAProxy", "epoll", "deno"] as const;
    type Name = typeof names[number];
    const lbs: Record<Name, Child> = {
      HAProxy: await startHaproxy(freePort(), ports),
      epoll: await startBalance(freePort(), ports, "epoll"),
      deno: await startBalance(freePort(), ports, "deno"),
    };
    children.push(...Object.values(lbs));
    const url = (n: Name) => `http://127.0.0.1:${lbs[n].port}${PATH}`;
    for (const n of names) await wrk(url(n), 1); // warm-up: JIT, connection setup
    const abs: Record<Name, Sample[]> = { HAProxy: [], epoll: [], deno: [] };
    const wrks: Record<Name, Sample[]> = { HAProxy: [], epoll: [], deno: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const n of order) abs[n].push(await withCpu(lbs[n].process.pid, () => ab(url(n))));
      for (const n of order) wrks[n].push(await withCpu(lbs[n].process.pid, () => wrk(url(n))));
    }
    for (const engine of ["epoll", "deno"] as const) {
      rows.push(
        row(
          `ab -n 5000 -c 10, a connection per request (${engine})`,
          abs[engine].map((s) => s.rps),
          abs.HAProxy.map((s) => s.rps),
          "HAProxy",
          1,
        ),
        row(
          `wrk -c50 keep-alive (${engine})`,
          wrks[engine].map((s) => s.rps),
          wrks.HAProxy.map((s) => s.rps),
          "HAProxy",
          1,
        ),
      );
    }
    const cpuLines = names.map((n) => {
      const c = abs[n].map((s) => s.cpuUs);
      const u = abs[n].map((s) => s.userUs);
      const w = wrks[n].map((s) => s.cpuUs);
      const [lo, hi] = range(c);
      return `  ${n.padEnd(8)} ${us(median(c))} µs [${us(lo)}-${us(hi)}] (user ${
        us(median(u))
      }) per proxied connection (ab c10); ${us(median(w))} µs per keep-alive request (wrk)`;
    });

    // redis: two redis-server backends, HAProxy and the epoll engine in front of them
    const redisPorts = [freePort(), freePort()];
    for (const p of redisPorts) {
      children.push(
        await startProcess("redis-server", [
          ...["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ], p),
      );
    }
    const redisFronts = {
      HAProxy: await startHaproxy(freePort(), redisPorts),
      epoll: await startBalance(freePort(), redisPorts, "epoll"),
    };
    children.push(...Object.values(redisFronts));
    type Redis = { set: number; get: number };
    const redis: Record<"HAProxy" | "epoll", Redis[]> = { HAProxy: [], epoll: [] };
    await redisBench(redisFronts.epoll.port); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["HAProxy", "epoll"] as const : ["epoll", "HAProxy"] as const;
      for (const n of order) redis[n].push(await redisBench(redisFronts[n].port));
    }
    for (const op of ["set", "get"] as const) {
      rows.push(
        row(
          `redis-benchmark -n 20000 -c 20 ${op.toUpperCase()} (epoll)`,
          redis.epoll.map((r) => r[op]),
          redis.HAProxy.map((r) => r[op]),
          "HAProxy",
          0.95,
        ),
      );
    }

    // memory per held idle connection, and /stats under load
    const memLines: string[] = [];
    for (const n of ["HAProxy", "epoll", "deno"] as const) {
      const kib = await memoryPerConnection(lbs[n].process.pid, lbs[n].port, 2000);
      memLines.push(`  ${n.padEnd(8)} ${kib.toFixed(1)} KiB per held idle connection (2000 held)`);
    }
    const statsPort = freePort();
    const lbPort = freePort();
    let statsLine: string;
    {
      await using _ = await startBalance(lbPort, ports, "epoll", [
        "--stats-port",
        String(statsPort),
      ]);
      const t = await statsUnderLoad(lbPort, statsPort);
      statsLine = `  /stats during wrk -c64 (epoll): p50 ${pct(t, 0.5).toFixed(1)} ms, p99 ${
        pct(t, 0.99).toFixed(1)
      } ms, max ${Math.max(...t).toFixed(1)} ms over ${t.length} requests (goal: p99 < 20 ms)`;
    }
    console.error(
      [
        `balance: ${ROUNDS} interleaved rounds; load average ${loadBefore} before, ${load()} after`,
        "CPU (all threads, schedstat), median [range] of rounds:",
        ...cpuLines,
        "Memory:",
        ...memLines,
        statsLine,
      ].join("\n"),
    );
    return rows;
  } finally {
    for (const c of children.reverse()) await c[Symbol.asyncDispose]();
  }
}
