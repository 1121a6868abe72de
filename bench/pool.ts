/**
 * Perf section "pool": `netlab pool --workers 2` in both dispatch modes against `netlab serve`, on
 * www/page.html (wrk keep-alive c50, ab no keep-alive c10) and on the CPU-bound demo route
 * `/_netlab/work?ms=2` (wrk c10), where a pool should use both cores and a single event loop
 * cannot. Every server runs with --demo-routes --quiet.
 *
 * Noise from elsewhere on the shared machine only ever lowers a figure, so each server keeps its
 * best run. The servers take turns in a rotating order, so none always runs just after another's
 * load. An ab run lasts a third of a second, short enough for one burst to spoil it, and a pool
 * (which needs both cores) suffers more from a burst than `serve`: ab runs several times per round,
 * interleaved across the servers, and the medians are printed beside the best figures.
 *
 * @module
 */
import { ab, type Child, freePort, type PerfRow, startNetlab, wrk, WWW } from "./_tools.ts";

const ROUNDS = 3;
/** ab runs per server per round (each is 5000 requests, about a third of a second). */
const AB_RUNS = 3;
const SERVERS = {
  serve: ["serve"],
  kernel: ["pool", "--workers", "2", "--dispatch", "kernel"],
  queue: ["pool", "--workers", "2", "--dispatch", "queue"],
} as const;
type Name = keyof typeof SERVERS;
const NAMES = Object.keys(SERVERS) as Name[];

interface Figures {
  wrkPage: number;
  abPage: number;
  cpu: number;
}

/** The 1-minute load average: the CPU-route ratio needs two free cores, so say how busy it was. */
function load(): string {
  return Deno.loadavg()[0]!.toFixed(1);
}

/** The servers in round `round`'s order: each goes first once in every three rounds. */
function rotated(round: number): Name[] {
  const k = round % NAMES.length;
  return [...NAMES.slice(k), ...NAMES.slice(0, k)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const loadBefore = load();
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
    const abRuns = {} as Record<Name, number[]>;
    for (const name of NAMES) {
      best[name] = { wrkPage: 0, abPage: 0, cpu: 0 };
      abRuns[name] = [];
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = rotated(round);
      for (const name of order) {
        const b = best[name];
        b.wrkPage = Math.max(b.wrkPage, await wrk(`${base[name]}/page.html`, { connections: 50 }));
      }
      for (let i = 0; i < AB_RUNS; i++) {
        for (const name of order) {
          const rps = await ab(`${base[name]}/page.html`, { requests: 5000, concurrency: 10 });
          abRuns[name].push(rps);
          best[name].abPage = Math.max(best[name].abPage, rps);
        }
      }
      for (const name of order) {
        const b = best[name];
        b.cpu = Math.max(b.cpu, await wrk(`${base[name]}/_netlab/work?ms=2`, { connections: 10 }));
      }
    }
    const medians = NAMES.map((name) => {
      const m = median(abRuns[name]);
      const ratio = name === "serve" ? "" : ` (${(m / median(abRuns.serve)).toFixed(2)}x)`;
      return `${name} ${m.toFixed(0)}${ratio}`;
    });
    // deno-lint-ignore no-console
    console.error(
      `pool: load average ${loadBefore} before, ${load()} after (2 cores); ab c10 medians of ` +
        `${ROUNDS * AB_RUNS} runs: ${medians.join(", ")}`,
    );
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
