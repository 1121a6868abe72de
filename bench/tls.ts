/**
 * Perf section "tls": `netlab serve --cert --key` (the epoll engine over OpenSSL) against nginx
 * (one worker) and h2o (one thread), the same ECDSA P-256 certificate for all three, on
 * www/page.html: wrk keep-alive (50 connections), one connection's median latency (wrk -c1
 * --latency), wrk with `Connection: close` (a new connection per request; wrk keeps each
 * connection's session, so these are resumed handshakes), and ab (a new connection per request
 * and no resumption: full handshakes), with the CPU each server spends per request and per
 * handshake (schedstat over those runs). Then the client: `netlab bench --engine raw` against wrk
 * over https to the same nginx, keep-alive and a new connection per request.
 *
 * nginx is given `ssl_protocols TLSv1.2 TLSv1.3` (1.22 offers only up to 1.2 by default): every
 * server must agree on TLS 1.3 and its cipher, checked with `openssl s_client` before the first
 * load; a row whose two servers disagree says "not comparable" (a resumed TLS 1.2 session skips
 * the key exchange a resumed 1.3 one makes, about a third of the CPU).
 *
 * The method is serve's: the servers take turns, the order rotated each round; each row is the
 * median of the per-round ratios with their range; a round where any run had errors is voided and
 * the row says so; throughput rows note how busy the load generator was. `TLS_ROUNDS` sets the
 * rounds (3); `TLS_PERF_LOCK` another lock file (see `run`). The balancer's rows (`netlab balance
 * --cert` against HAProxy, tcp and http mode) are `_tls_balance.ts`'s; `TLS_ONLY=balance` runs
 * only those, `TLS_ONLY=client` only the client's (`_tls_client.ts`, against nginx).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { abRun, wrkRun } from "./_load.ts";
import { PerfLock } from "./_lock.ts";
import { measure, pairedRow, type Sample } from "./_paired.ts";
import { benchCert, negotiated, startH2oTls } from "./_tls_servers.ts";
import { clientRows } from "./_tls_client.ts";
import { balanceRows } from "./_tls_balance.ts";
import {
  freePort,
  loadAverage,
  median,
  type PerfRow,
  processTree,
  startNetlab,
  startNginx,
  WWW,
} from "./_tools.ts";

const ROUNDS = Number(Deno.env.get("TLS_ROUNDS") ?? 3);
const WRK_SECONDS = 3;
const AB_REQUESTS = 3000;
/** The issue's goal for one connection's median latency. */
const P50_GOAL_US = 100;

const NAMES = ["netlab", "nginx", "h2o"] as const;
type Name = typeof NAMES[number];
type Load = "keepAlive" | "one" | "close" | "full";

/** Runs the section and returns its rows. */
export async function run(): Promise<PerfRow[]> {
  const started = performance.now();
  const loadBefore = loadAverage();
  await using cert = await benchCert();
  const said = (what: string) =>
    console.error(
      `tls: ${ROUNDS} interleaved rounds${what}, ECDSA P-256, load average ${loadBefore} before, ${loadAverage()} after (2 cores), ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s`,
    );
  if (Deno.env.get("TLS_ONLY") === "balance") {
    const lock = new PerfLock(Deno.env.get("TLS_PERF_LOCK") ?? undefined);
    const rows = await balanceRows(cert, lock, ROUNDS);
    said(" (balance rows only)");
    return rows;
  }
  if (Deno.env.get("TLS_ONLY") === "client") {
    const lock = new PerfLock(Deno.env.get("TLS_PERF_LOCK") ?? undefined);
    const port = freePort();
    await using _nginx = await startNginx(WWW, port, 1, cert);
    const rows = await clientRows(
      `https://127.0.0.1:${port}/page.html`,
      cert.certFile,
      lock,
      ROUNDS,
    );
    said(" (client rows only)");
    return rows;
  }
  const ports = { netlab: freePort(), nginx: freePort(), h2o: freePort() };
  const tlsFlags = ["--cert", cert.certFile, "--key", cert.keyFile];
  await using netlab = await startNetlab(
    ["serve", "--quiet", "--root", WWW, "--port", String(ports.netlab), ...tlsFlags],
    ports.netlab,
  );
  await using nginx = await startNginx(WWW, ports.nginx, 1, cert);
  await using h2o = await startH2oTls(WWW, ports.h2o, cert);
  const children = { netlab, nginx, h2o };
  const protocols = {} as Record<Name, string>;
  for (const name of NAMES) protocols[name] = await negotiated(ports[name]);
  console.error(`tls: ${NAMES.map((n) => `${n} ${protocols[n]}`).join("; ")}`);
  const pids = (name: Name) => processTree(children[name].process.pid);
  const url = (name: Name) => `https://127.0.0.1:${ports[name]}/page.html`;
  // TLS_PERF_LOCK names another lock file, for a run that holds the machine's lock as a whole
  // (`flock /tmp/netlab-perf.lock env TLS_PERF_LOCK=/tmp/x.lock deno task perf tls`): one wait
  // for a busy lock instead of one per load
  const lock = new PerfLock(Deno.env.get("TLS_PERF_LOCK") ?? undefined);
  const loads: Record<Load, (name: Name) => Promise<Sample>> = {
    keepAlive: (name) =>
      lock.run(() =>
        measure(pids(name), () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS }))
      ),
    one: (name) =>
      lock.run(() =>
        measure(
          pids(name),
          () => wrkRun(url(name), { connections: 1, seconds: WRK_SECONDS, latency: true }),
        )
      ),
    close: (name) =>
      lock.run(() =>
        measure(
          pids(name),
          () => wrkRun(url(name), { connections: 50, seconds: WRK_SECONDS, close: true }),
        )
      ),
    full: (name) =>
      lock.run(() =>
        measure(pids(name), () => abRun(url(name), { requests: AB_REQUESTS, concurrency: 10 }))
      ),
  };
  for (const name of NAMES) {
    await lock.run(async () => {
      await wrkRun(url(name), { connections: 10, seconds: 1 });
      await abRun(url(name), { requests: 500, concurrency: 10 });
    });
  }
  const samples = {} as Record<Load, Record<Name, Sample[]>>;
  for (const load of ["keepAlive", "one", "close", "full"] as const) {
    samples[load] = { netlab: [], nginx: [], h2o: [] };
  }
  const turn = (i: number): Name[] => NAMES.map((_, k) => NAMES[(i + k) % NAMES.length]!);
  for (let round = 0; round < ROUNDS; round++) {
    for (const load of ["keepAlive", "one", "close", "full"] as const) {
      for (const name of turn(round)) samples[load][name].push(await loads[load](name));
    }
  }
  const row = (
    what: string,
    load: Load,
    anchor: "nginx" | "h2o",
    figure: "rps" | "cpuUs",
    goal?: number,
    client?: string,
  ): PerfRow =>
    sameProtocol(
      protocols,
      anchor,
      pairedRow(
        {
          section: "tls",
          what,
          anchorName: anchor,
          figure,
          ...(goal !== undefined ? { goal } : {}),
          ...(client ? { client } : {}),
        },
        samples[load].netlab,
        samples[load][anchor],
      ),
    );
  const rows = [
    row("page.html, wrk keep-alive c50", "keepAlive", "nginx", "rps", 1.5, "wrk"),
    row("page.html, wrk keep-alive c50", "keepAlive", "h2o", "rps", 1.0, "wrk"),
    row("CPU per keep-alive request (nginx/netlab)", "keepAlive", "nginx", "cpuUs", 1.0),
    latencyRow(samples.one.netlab, samples.one.nginx),
    row("wrk -c50 Connection: close (resumed)", "close", "nginx", "rps", 1.0, "wrk"),
    row("wrk -c50 Connection: close (resumed)", "close", "h2o", "rps", undefined, "wrk"),
    row("CPU per resumed handshake (nginx/netlab)", "close", "nginx", "cpuUs", 1.0),
    row(`ab -n ${AB_REQUESTS} -c10 (full handshakes)`, "full", "nginx", "rps", undefined, "ab"),
    row("CPU per full handshake, ECDSA P-256 (nginx/netlab)", "full", "nginx", "cpuUs", 1.0),
    row("CPU per full handshake, ECDSA P-256 (h2o/netlab)", "full", "h2o", "cpuUs"),
    ...await clientRows(url("nginx"), cert.certFile, lock, ROUNDS),
    ...await balanceRows(cert, lock, ROUNDS),
  ];
  said("");
  return rows;
}

/** `row`, noting when netlab and its anchor did not negotiate the same protocol and cipher. */
function sameProtocol(protocols: Record<Name, string>, anchor: Name, row: PerfRow): PerfRow {
  if (protocols.netlab === protocols[anchor]) return row;
  const differ = `not comparable: netlab ${protocols.netlab}, ${anchor} ${protocols[anchor]}`;
  return { ...row, note: row.note ? `${row.note}; ${differ}` : differ };
}

/** One connection's median latency: netlab's against nginx's, and the issue's absolute goal. */
function latencyRow(netlab: Sample[], nginx: Sample[]): PerfRow {
  const kept = netlab.map((_, i) => i).filter((i) =>
    !netlab[i]!.problem && !nginx[i]!.problem && netlab[i]!.p50Us !== undefined &&
    nginx[i]!.p50Us !== undefined
  );
  const a = kept.map((i) => netlab[i]!.p50Us!);
  const b = kept.map((i) => nginx[i]!.p50Us!);
  const ratios = kept.map((_, k) => b[k]! / a[k]!);
  const p50 = kept.length > 0 ? median(a) : NaN;
  const row: PerfRow = {
    section: "tls",
    what: "one connection's p50, wrk -c1 --latency (nginx/netlab)",
    netlab: p50,
    anchor: kept.length > 0 ? median(b) : NaN,
    anchorName: "nginx",
    unit: "µs",
    inverse: true,
    ratio: kept.length > 0 ? median(ratios) : NaN,
    note: `goal: netlab's p50 under ${P50_GOAL_US} µs (${p50 < P50_GOAL_US ? "met" : "missed"})` +
      (kept.length < netlab.length ? `; ${netlab.length - kept.length} rounds voided` : ""),
  };
  if (kept.length > 0) row.range = [Math.min(...ratios), Math.max(...ratios)];
  return row;
}
