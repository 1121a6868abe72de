/**
 * Perf section "serve": `netlab serve --quiet` (the epoll engine) against nginx (one worker,
 * access log off, sendfile on) on www/page.html, with wrk (keep-alive, 50 connections) and ab (a
 * new connection per request, concurrency 10), plus the CPU time each server spends per
 * keep-alive request (from /proc/PID/task/∗/schedstat during the wrk runs). The two take turns,
 * the order swapped each round; every row is the median of the per-round ratios, with their range,
 * so a burst of load from elsewhere on the shared machine spoils one round, not the figure.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  ab,
  cpuNs,
  freePort,
  loadAverage,
  median,
  type PerfRow,
  processTree,
  startNetlab,
  startNginx,
  waitForPort,
  wrk,
  wrkRun,
  WWW,
} from "./_tools.ts";

const ROUNDS = 5;
const WRK_SECONDS = 3;

type Name = "netlab" | "nginx";

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const loadBefore = loadAverage();
  const ports = { netlab: freePort(), nginx: freePort() };
  const engine = Deno.env.get("NETLAB_ENGINE") ?? "auto";
  await using netlab = await startNetlab(
    ["serve", "--quiet", "--engine", engine, "--root", WWW, "--port", String(ports.netlab)],
    ports.netlab,
  );
  await using nginx = await startNginx(WWW, ports.nginx);
  await waitForPort(ports.netlab);
  const pids = {
    netlab: () => processTree(netlab.process.pid),
    nginx: () => processTree(nginx.process.pid),
  };
  const url = (name: Name) => `http://127.0.0.1:${ports[name]}/page.html`;
  // warm caches and JIT before measuring
  for (const name of ["netlab", "nginx"] as const) {
    await wrk(url(name), { connections: 10, seconds: 1 });
  }

  const figures = {
    wrk: { netlab: [] as number[], nginx: [] as number[] },
    ab: { netlab: [] as number[], nginx: [] as number[] },
    cpu: { netlab: [] as number[], nginx: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Name[] = round % 2 === 0 ? ["netlab", "nginx"] : ["nginx", "netlab"];
    for (const name of order) {
      const tree = pids[name]();
      const before = cpuNs(tree);
      const { rps, requests } = await wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS });
      const spent = cpuNs(tree) - before;
      figures.wrk[name].push(rps);
      figures.cpu[name].push(requests > 0 ? spent / requests / 1000 : NaN);
    }
    for (const name of order) {
      figures.ab[name].push(await ab(url(name), { requests: 5000, concurrency: 10 }));
    }
  }
  const row = (
    what: string,
    key: keyof typeof figures,
    unit: string,
    goal: number,
    inverse = false,
  ): PerfRow => {
    const { netlab: a, nginx: b } = figures[key];
    const ratios = a.map((x, i) => inverse ? b[i]! / x : x / b[i]!);
    return {
      section: "serve",
      what,
      netlab: median(a),
      anchor: median(b),
      anchorName: "nginx",
      unit,
      goal,
      range: [Math.min(...ratios), Math.max(...ratios)],
      inverse,
      // the median of per-round ratios (each round's two ran side by side), not of medians
      ratio: median(ratios),
    };
  };
  const rows = [
    row("page.html, wrk keep-alive c50", "wrk", "req/s", 1.2),
    row("page.html, ab no keep-alive c10", "ab", "req/s", 1.0),
    row("CPU per keep-alive request (nginx/netlab)", "cpu", "µs", 1.0, true),
  ];
  console.error(
    `serve: engine ${engine}, ${ROUNDS} interleaved rounds, load average ${loadBefore} before, ` +
      `${loadAverage()} after (2 cores); nginx medians: wrk ${
        median(figures.wrk.nginx).toFixed(0)
      }` +
      ` req/s, ab ${median(figures.ab.nginx).toFixed(0)} req/s, ${
        median(figures.cpu.nginx).toFixed(1)
      } µs/request`,
  );
  return rows;
}
