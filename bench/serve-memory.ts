/**
 * `deno task perf serve-memory`: the memory an idle keep-alive connection costs `netlab serve`
 * (the epoll engine) and nginx. Each server gets N connections (10,000 by default,
 * NETLAB_PERF_CONNECTIONS changes it) that each make one request and then sit idle; the growth
 * of the server's resident set (nginx: master and worker), divided by N, is the figure.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  freePort,
  loadAverage,
  type PerfRow,
  processTree,
  rss,
  startNetlab,
  startNginx,
  WWW,
} from "./_tools.ts";
import { PerfLock } from "./_lock.ts";

const CONNECTIONS = Number(Deno.env.get("NETLAB_PERF_CONNECTIONS") ?? 10_000);
const REQUEST = new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n");

/** Opens `n` connections that each get one answer and then idle; returns them. */
async function idleConnections(port: number, n: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  const buf = new Uint8Array(16 * 1024);
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        await c.write(REQUEST);
        await c.read(buf); // page.html's answer fits in one read
        return c;
      }),
    );
    conns.push(...batch);
  }
  return conns;
}

async function measure(pid: number, port: number): Promise<number> {
  const tree = processTree(pid);
  // one connection first: caches and code paths warm, so the difference is the connections
  for (const c of await idleConnections(port, 10)) c.close();
  await new Promise((r) => setTimeout(r, 500));
  const before = rss(tree);
  const conns = await idleConnections(port, CONNECTIONS);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rss(processTree(pid));
  for (const c of conns) c.close();
  return (after - before) / CONNECTIONS;
}

/** Runs the section and returns its row. */
export async function run(): Promise<PerfRow[]> {
  const ports = { netlab: freePort(), nginx: freePort() };
  await using netlab = await startNetlab(
    ["serve", "--quiet", "--root", WWW, "--port", String(ports.netlab)],
    ports.netlab,
  );
  await using nginx = await startNginx(WWW, ports.nginx);
  // every load holds the machine's perf lock, taken per load (see _lock.ts)
  const lock = new PerfLock();
  const a = await lock.run(() => measure(netlab.process.pid, ports.netlab));
  const b = await lock.run(() => measure(nginx.process.pid, ports.nginx));
  console.error(
    `serve-memory: ${CONNECTIONS} idle keep-alive connections each, load average ${loadAverage()}`,
  );
  return [{
    section: "serve-memory",
    what: `resident memory per idle keep-alive connection (nginx/netlab)`,
    netlab: a,
    anchor: b,
    anchorName: "nginx",
    unit: "B",
    inverse: true,
  }];
}
