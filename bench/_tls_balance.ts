/**
 * The balancer rows of `deno task perf tls`: `netlab balance --cert --key` (TLS terminated on
 * the epoll engine) against HAProxy (`bind ... ssl crt`, one thread), both in tcp mode and in
 * http mode, in front of the same plain backend (nginx, one worker), on page.html: wrk keep-alive
 * (50 connections) and wrk with `Connection: close` (a new connection per request; wrk keeps
 * each connection's session, so the handshakes are resumed), with each proxy's CPU per request.
 * The proxies take turns, the order rotated each round; each row is the median of the
 * per-round ratios with their range. `TLS_ONLY=balance deno task perf tls` runs only these.
 *
 * @module
 */
import { wrkRun } from "./_load.ts";
import type { PerfLock } from "./_lock.ts";
import { measure, pairedRow, type Sample } from "./_paired.ts";
import type { BenchCert } from "./_tls_servers.ts";
import {
  type Child,
  ensureCommands,
  freePort,
  type PerfRow,
  processTree,
  startNetlab,
  startNginx,
  startProcess,
  WWW,
} from "./_tools.ts";

const WRK_SECONDS = 3;

type Mode = "tcp" | "http";
type Name = "netlab" | "HAProxy";
type Load = "keepAlive" | "close";

/** HAProxy terminating TLS with `pem` (chain and key) in `mode`, one thread, over `backend`. */
export function haproxyTlsConfig(port: number, backend: number, pem: string, mode: Mode): string {
  const http = mode === "http" ? "  http-reuse safe\n  option forwardfor\n" : "";
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode ${mode}
${http}  timeout connect 3s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${pem} alpn http/1.1
  default_backend be
backend be
  server b0 127.0.0.1:${backend}
`;
}

async function startHaproxyTls(
  port: number,
  backend: number,
  cert: BenchCert,
  mode: Mode,
): Promise<Child> {
  await ensureCommands({ haproxy: "haproxy" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-tls-" });
  const pem = `${dir}/combined.pem`;
  await Deno.writeTextFile(
    pem,
    (await Deno.readTextFile(cert.certFile)) + (await Deno.readTextFile(cert.keyFile)),
  );
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyTlsConfig(port, backend, pem, mode));
  return startProcess("haproxy", ["-f", `${dir}/haproxy.cfg`, "-db"], port);
}

/** The balancer rows: both modes, keep-alive and a new connection per request. */
export async function balanceRows(
  cert: BenchCert,
  lock: PerfLock,
  rounds: number,
): Promise<PerfRow[]> {
  const backendPort = freePort();
  await using _backend = await startNginx(WWW, backendPort, 1);
  const rows: PerfRow[] = [];
  for (const mode of ["tcp", "http"] as const) rows.push(...await modeRows(mode));
  return rows;

  async function modeRows(mode: Mode): Promise<PerfRow[]> {
    const ports = { netlab: freePort(), HAProxy: freePort() };
    await using netlab = await startNetlab([
      "balance",
      "--quiet",
      "--engine",
      "epoll",
      "--mode",
      mode,
      "--health-interval",
      "0",
      "--port",
      String(ports.netlab),
      "--backend",
      `127.0.0.1:${backendPort}`,
      "--cert",
      cert.certFile,
      "--key",
      cert.keyFile,
    ], ports.netlab);
    await using haproxy = await startHaproxyTls(ports.HAProxy, backendPort, cert, mode);
    const children = { netlab, HAProxy: haproxy };
    const pids = (name: Name) => processTree(children[name].process.pid);
    const url = (name: Name) => `https://127.0.0.1:${ports[name]}/page.html`;
    const loads: Record<Load, (name: Name) => Promise<Sample>> = {
      keepAlive: (name) =>
        lock.run(() =>
          measure(pids(name), () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS }))
        ),
      close: (name) =>
        lock.run(() =>
          measure(
            pids(name),
            () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS, close: true }),
          )
        ),
    };
    for (const name of ["netlab", "HAProxy"] as const) {
      await lock.run(() => wrkRun(url(name), { connections: 10, seconds: 1 }));
    }
    const samples: Record<Load, Record<Name, Sample[]>> = {
      keepAlive: { netlab: [], HAProxy: [] },
      close: { netlab: [], HAProxy: [] },
    };
    for (let round = 0; round < rounds; round++) {
      const order: Name[] = round % 2 === 0 ? ["netlab", "HAProxy"] : ["HAProxy", "netlab"];
      for (const load of ["keepAlive", "close"] as const) {
        for (const name of order) samples[load][name].push(await loads[load](name));
      }
    }
    const row = (what: string, load: Load, figure: "rps" | "cpuUs", goal?: number) =>
      pairedRow(
        {
          section: "tls",
          what: `balance ${mode} mode, ${what}`,
          anchorName: "HAProxy",
          figure,
          ...(goal !== undefined ? { goal } : {}),
          ...(figure === "rps" ? { client: "wrk" } : {}),
        },
        samples[load].netlab,
        samples[load].HAProxy,
      );
    return [
      row("TLS keep-alive, wrk -c50", "keepAlive", "rps", 1.0),
      row("CPU per keep-alive request (HAProxy/netlab)", "keepAlive", "cpuUs"),
      row("TLS wrk -c50 Connection: close (resumed)", "close", "rps", 1.0),
      row("CPU per request with a resumed handshake (HAProxy/netlab)", "close", "cpuUs"),
    ];
  }
}
