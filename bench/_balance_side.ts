/**
 * The balance section's two side measurements, neither a paired ratio: resident memory per idle
 * connection held through a proxy, and how fast the epoll engine's `/stats` answers while wrk
 * loads it.
 *
 * @module
 */
import { wrkRun } from "./_load.ts";
import type { PerfLock } from "./_lock.ts";

/** Resident memory of a process in KiB. */
function rssKib(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/);
  return Number(m?.[1] ?? 0);
}

/** KiB of resident memory `pid` grows by per idle connection held through it on `port`. */
export async function memoryPerConnection(pid: number, port: number, n: number): Promise<number> {
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

/** `/stats` latencies in ms, and what went wrong with the load if anything did. */
export interface StatsUnderLoad {
  times: number[];
  problem?: string;
}

/**
 * `/stats` latencies (ms) on `statsPort`, sampled every 20 ms while `wrk -c64 -d4s` loads `url`
 * (holding `lock`, so sampling starts only once the load can).
 */
export function statsUnderLoad(
  lock: PerfLock,
  url: string,
  statsPort: number,
): Promise<StatsUnderLoad> {
  return lock.run(async () => {
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
    const run = await wrkRun(url, { connections: 64, seconds: 4 });
    loading = false;
    await sampler;
    return run.problem ? { times, problem: run.problem } : { times };
  });
}

/** The `p` quantile (0-1) of `xs`, nearest rank below. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}
