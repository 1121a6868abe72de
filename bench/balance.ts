/**
 * `deno task perf balance`: netlab balance vs HAProxy (`mode tcp`, `balance roundrobin`,
 * `nbthread 1`) in front of the same four `netlab serve` backends, with wrk (keep-alive, c50) and
 * ab (no keep-alive, c10) on /page.html; plus the cost of the balancer vs one backend directly.
 * Both socket engines (`--engine epoll` and `--engine deno`) are measured in the same run.
 *
 * @module
 */
import {
  ab,
  type Child,
  ensureCommands,
  freePort,
  type PerfRow,
  startNetlab,
  startProcess,
  wrk,
} from "./_tools.ts";

const PATH = "/page.html";

async function startHaproxy(port: number, backends: number[]): Promise<Child> {
  await ensureCommands({ haproxy: "haproxy" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-" });
  const conf = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    conf,
    `global
  nbthread 1
  maxconn 4096
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
`,
  );
  return startProcess("haproxy", ["-f", conf, "-db"], port);
}

type Engine = "epoll" | "deno";
const ENGINES: readonly Engine[] = ["epoll", "deno"];

function startBalance(port: number, backends: number[], engine: Engine): Promise<Child> {
  return startNetlab([
    "balance",
    "--quiet",
    "--engine",
    engine,
    "--port",
    String(port),
    "--backend",
    backends.map((p) => `127.0.0.1:${p}`).join(","),
  ], port);
}

interface Figures {
  wrk: number;
  ab: number;
  ab1: number;
}

async function measure(port: number): Promise<Figures> {
  const url = `http://127.0.0.1:${port}${PATH}`;
  await wrk(url, { connections: 50, seconds: 1 }); // warm-up (JIT, connection setup)
  const w = await wrk(url, { connections: 50, seconds: 4 });
  const a = await ab(url, { requests: 8000, concurrency: 10 });
  const a1 = await ab(url, { requests: 2000, concurrency: 1 });
  return { wrk: w, ab: a, ab1: a1 };
}

/** Best of each figure: other load on a shared machine only ever makes a run slower. */
const best = (a: Figures, b: Figures): Figures => ({
  wrk: Math.max(a.wrk, b.wrk),
  ab: Math.max(a.ab, b.ab),
  ab1: Math.max(a.ab1, b.ab1),
});
const NONE: Figures = { wrk: 0, ab: 0, ab1: 0 };

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const ports = [freePort(), freePort(), freePort(), freePort()];
  const backends: Child[] = [];
  try {
    for (const p of ports) {
      backends.push(await startNetlab(["serve", "--quiet", "--port", String(p)], p));
    }
    const direct = await measure(ports[0]!);

    // alternate the balancers twice so a burst of outside load does not hit only one
    let ha = NONE;
    const lb: Record<Engine, Figures> = { epoll: NONE, deno: NONE };
    for (let round = 0; round < 2; round++) {
      const haPort = freePort();
      {
        await using _ = await startHaproxy(haPort, ports);
        ha = best(ha, await measure(haPort));
      }
      for (const engine of ENGINES) {
        const lbPort = freePort();
        await using _ = await startBalance(lbPort, ports, engine);
        lb[engine] = best(lb[engine], await measure(lbPort));
      }
    }
    const section = "balance";
    const unit = "req/s";
    return [
      ...ENGINES.flatMap((engine): PerfRow[] => [
        {
          section,
          what: `wrk c50 keep-alive via balancer (${engine})`,
          netlab: lb[engine].wrk,
          anchor: ha.wrk,
          anchorName: "HAProxy",
          unit,
          goal: 0.9,
        },
        {
          section,
          what: `ab c10 no keep-alive via balancer (${engine})`,
          netlab: lb[engine].ab,
          anchor: ha.ab,
          anchorName: "HAProxy",
          unit,
          goal: 0.9,
        },
        {
          section,
          what: `ab c1 (latency-bound) via balancer (${engine})`,
          netlab: lb[engine].ab1,
          anchor: ha.ab1,
          anchorName: "HAProxy",
          unit,
        },
      ]),
      {
        section,
        what: "wrk c50: balancer (epoll) vs one backend direct",
        netlab: lb.epoll.wrk,
        anchor: direct.wrk,
        anchorName: "netlab serve direct",
        unit,
      },
      {
        section,
        what: "ab c10: balancer (epoll) vs one backend direct",
        netlab: lb.epoll.ab,
        anchor: direct.ab,
        anchorName: "netlab serve direct",
        unit,
      },
      {
        section,
        what: "wrk c50: HAProxy vs one backend direct",
        netlab: ha.wrk,
        anchor: direct.wrk,
        anchorName: "netlab serve direct",
        unit,
      },
    ];
  } finally {
    for (const b of backends) await b[Symbol.asyncDispose]();
  }
}
