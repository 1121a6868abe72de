/**
 * `deno task perf balance`: netlab balance vs HAProxy (`mode tcp`, `balance roundrobin`,
 * `nbthread 1`) in front of the same four `netlab serve` backends, with wrk (keep-alive, c50) and
 * ab (no keep-alive, c10) on /page.html; plus the cost of the balancer vs one backend directly.
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

function startBalance(port: number, backends: number[]): Promise<Child> {
  return startNetlab([
    "balance",
    "--quiet",
    "--port",
    String(port),
    "--backend",
    backends.map((p) => `127.0.0.1:${p}`).join(","),
  ], port);
}

interface Figures {
  wrk: number;
  ab: number;
}

async function measure(port: number): Promise<Figures> {
  const url = `http://127.0.0.1:${port}${PATH}`;
  await wrk(url, { connections: 50, seconds: 2 }); // warm-up (JIT, connection setup)
  const w = await wrk(url, { connections: 50, seconds: 5 });
  const a = await ab(url, { requests: 10000, concurrency: 10 });
  return { wrk: w, ab: a };
}

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const ports = [freePort(), freePort(), freePort(), freePort()];
  const backends: Child[] = [];
  try {
    for (const p of ports) {
      backends.push(await startNetlab(["serve", "--quiet", "--port", String(p)], p));
    }
    const direct = await measure(ports[0]!);

    const haPort = freePort();
    let ha: Figures;
    {
      await using _ = await startHaproxy(haPort, ports);
      ha = await measure(haPort);
    }
    const lbPort = freePort();
    let lb: Figures;
    {
      await using _ = await startBalance(lbPort, ports);
      lb = await measure(lbPort);
    }
    const section = "balance";
    const unit = "req/s";
    return [
      {
        section,
        what: "wrk c50 keep-alive via balancer",
        netlab: lb.wrk,
        anchor: ha.wrk,
        anchorName: "HAProxy",
        unit,
        goal: 0.9,
      },
      {
        section,
        what: "ab c10 no keep-alive via balancer",
        netlab: lb.ab,
        anchor: ha.ab,
        anchorName: "HAProxy",
        unit,
        goal: 0.9,
      },
      {
        section,
        what: "wrk c50: balancer vs one backend direct",
        netlab: lb.wrk,
        anchor: direct.wrk,
        anchorName: "netlab serve direct",
        unit,
      },
      {
        section,
        what: "ab c10: balancer vs one backend direct",
        netlab: lb.ab,
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
