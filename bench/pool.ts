/**
 * Perf section "pool": `netlab pool --workers 2` in both dispatch modes against `netlab serve`, on
 * www/page.html (wrk keep-alive c50, ab no keep-alive c10) and on the CPU-bound demo route
 * `/_netlab/work?ms=2` (wrk c10), where a pool should use both cores and a single event loop
 * cannot. Every server runs with --demo-routes --quiet; each is loaded in turn, three times, and keeps
 * its better round, so one burst of noise on the shared machine does not decide a ratio.
 *
 * @module
 */
import { ab, type Child, freePort, type PerfRow, startNetlab, wrk, WWW } from "./_tools.ts";

const ROUNDS = 3;
const SERVERS = {
  serve: ["serve"],
  kernel: ["pool", "--workers", "2", "--dispatch", "kernel"],
  queue: ["pool", "--workers", "2", "--dispatch", "queue"],
} as const;
type Name = keyof typeof SERVERS;

interface Figures {
  wrkPage: number;
  abPage: number;
  cpu: number;
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const base = {} as Record<Name, string>;
  const children: Child[] = [];
  try {
    for (const [name, args] of Object.entries(SERVERS) as [Name, readonly string[]][]) {
      const port = freePort();
      const common = ["--demo-routes", "--quiet", "--root", WWW, "--port", String(port)];
      children.push(await startNetlab([...args, ...common], port));
      base[name] = `http://127.0.0.1:${port}`;
    }
    // warm caches and JIT (of every worker) before measuring
    for (const url of Object.values(base)) {
      await wrk(`${url}/page.html`, { connections: 10, seconds: 1 });
      await wrk(`${url}/_netlab/work?ms=2`, { connections: 10, seconds: 1 });
    }
    const best = {} as Record<Name, Figures>;
    for (const name of Object.keys(SERVERS) as Name[]) {
      best[name] = { wrkPage: 0, abPage: 0, cpu: 0 };
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(SERVERS) as Name[]) {
        const b = best[name];
        b.wrkPage = Math.max(b.wrkPage, await wrk(`${base[name]}/page.html`, { connections: 50 }));
        b.abPage = Math.max(
          b.abPage,
          await ab(`${base[name]}/page.html`, { requests: 5000, concurrency: 10 }),
        );
        b.cpu = Math.max(
          b.cpu,
          await wrk(`${base[name]}/_netlab/work?ms=2`, { connections: 10 }),
        );
      }
    }
    const rows: PerfRow[] = [];
    for (const mode of ["kernel", "queue"] as const) {
      const row = (what: string, key: keyof Figures, goal: number): PerfRow => ({
        section: "pool",
        what: `${mode} dispatch, 2 workers: ${what}`,
        netlab: best[mode][key],
        anchor: best.serve[key],
        anchorName: "netlab serve",
        unit: "req/s",
        goal,
      });
      rows.push(
        row("page.html, wrk keep-alive c50", "wrkPage", 0.9),
        row("page.html, ab no keep-alive c10", "abPage", 0.9),
        row("/_netlab/work?ms=2, wrk c10", "cpu", 1.6),
      );
    }
    return rows;
  } finally {
    for (const child of children) await child[Symbol.asyncDispose]();
  }
}
