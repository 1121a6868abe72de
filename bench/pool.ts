/**
 * Perf section "pool": `netlab pool --workers 2` against nginx with `worker_processes 2` on
 * www/page.html (wrk keep-alive c50, ab c10 with a new connection per request), and against
 * `netlab serve` on the CPU-bound demo route `/_netlab/work?ms=2` (wrk c10), where a pool uses
 * both cores and a single event loop cannot. Kernel dispatch runs the epoll engine in each worker
 * (the default); queue dispatch hands requests out from Deno.serve.
 *
 * The servers take turns in a rotating order, so none always runs just after another's load;
 * each row is the median of the per-round ratios, with their range.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  ab,
  type Child,
  freePort,
  loadAverage,
  median,
  type PerfRow,
  startNetlab,
  startNginx,
  wrk,
  WWW,
} from "./_tools.ts";

const ROUNDS = 3;
/** ab runs per server per round (each is 5000 requests, about a third of a second). */
const AB_RUNS = 3;
const NETLAB = {
  kernel: ["pool", "--workers", "2", "--dispatch", "kernel"],
  queue: ["pool", "--workers", "2", "--dispatch", "queue"],
  serve: ["serve"],
} as const;
type Name = keyof typeof NETLAB | "nginx";
const NAMES: Name[] = ["kernel", "queue", "serve", "nginx"];

/** The servers in round `round`'s order: each goes first in turn. */
function rotated(round: number): Name[] {
  const k = round % NAMES.length;
  return [...NAMES.slice(k), ...NAMES.slice(0, k)];
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const loadBefore = loadAverage();
  const base = {} as Record<Name, string>;
  const children: Child[] = [];
  try {
    for (const [name, args] of Object.entries(NETLAB) as [Name, readonly string[]][]) {
      const port = freePort();
      const common = ["--demo-routes", "--quiet", "--root", WWW, "--port", String(port)];
      children.push(await startNetlab([...args, ...common], port));
      base[name] = `http://127.0.0.1:${port}`;
    }
    const nginxPort = freePort();
    children.push(await startNginx(WWW, nginxPort, 2));
    base.nginx = `http://127.0.0.1:${nginxPort}`;
    // warm caches and JIT (of every worker) before measuring
    for (const name of NAMES) {
      await wrk(`${base[name]}/page.html`, { connections: 10, seconds: 1 });
      if (name !== "nginx") {
        await wrk(`${base[name]}/_netlab/work?ms=2`, { connections: 10, seconds: 1 });
      }
    }
    const runs = {} as Record<Name, { wrk: number[]; ab: number[]; cpu: number[] }>;
    for (const name of NAMES) runs[name] = { wrk: [], ab: [], cpu: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = rotated(round);
      for (const name of order) {
        runs[name].wrk.push(await wrk(`${base[name]}/page.html`, { connections: 50, seconds: 3 }));
      }
      const abRound = {} as Record<Name, number[]>;
      for (const name of order) abRound[name] = [];
      for (let i = 0; i < AB_RUNS; i++) {
        for (const name of order) {
          abRound[name].push(
            await ab(`${base[name]}/page.html`, { requests: 5000, concurrency: 10 }),
          );
        }
      }
      for (const name of order) runs[name].ab.push(median(abRound[name]));
      for (const name of order) {
        if (name === "nginx") continue;
        runs[name].cpu.push(
          await wrk(`${base[name]}/_netlab/work?ms=2`, { connections: 10, seconds: 3 }),
        );
      }
    }
    console.error(
      `pool: ${ROUNDS} rounds, load average ${loadBefore} before, ${loadAverage()} after (2 cores)`,
    );
    const row = (
      name: Name,
      key: "wrk" | "ab" | "cpu",
      anchor: Name,
      what: string,
      goal?: number,
    ): PerfRow => {
      const a = runs[name][key], b = runs[anchor][key];
      const ratios = a.map((x, i) => x / b[i]!);
      const r: PerfRow = {
        section: "pool",
        what: `${name} dispatch, 2 workers: ${what}`,
        netlab: median(a),
        anchor: median(b),
        anchorName: anchor === "nginx" ? "nginx, 2 workers" : "netlab serve",
        unit: "req/s",
        range: [Math.min(...ratios), Math.max(...ratios)],
        ratio: median(ratios),
      };
      if (goal !== undefined) r.goal = goal;
      return r;
    };
    return [
      row("kernel", "wrk", "nginx", "page.html, wrk keep-alive c50", 1.0),
      row("kernel", "ab", "nginx", "page.html, ab no keep-alive c10", 1.0),
      row("kernel", "cpu", "serve", "/_netlab/work?ms=2, wrk c10", 1.6),
      row("queue", "wrk", "nginx", "page.html, wrk keep-alive c50"),
      row("queue", "ab", "nginx", "page.html, ab no keep-alive c10"),
      row("queue", "cpu", "serve", "/_netlab/work?ms=2, wrk c10", 1.6),
    ];
  } finally {
    for (const child of children) await child[Symbol.asyncDispose]();
  }
}
