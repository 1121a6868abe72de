/**
 * Shared plumbing for `deno task perf`: installing the anchors, starting servers as child processes,
 * reading their CPU time, and printing side-by-side ratios; the load generators are in `_load.ts`,
 * the pairing of rounds into rows in `_paired.ts`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { v8FlagsFor } from "../lib/runtime/v8_flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** Path of netlab's `main.ts`. */
export const MAIN: string = `${ROOT}main.ts`;
/** Path of the bundled sample site. */
export const WWW: string = `${ROOT}www`;

/** One line of the perf report: a netlab figure beside its anchor's. */
export interface PerfRow {
  section: string;
  what: string;
  netlab: number;
  anchor: number;
  anchorName: string;
  unit: string;
  /** Minimum ratio the issue asks for; the report marks rows below it. */
  goal?: number;
  /** Maximum ratio the issue allows (for latencies, where lower is better); marks rows above it. */
  goalMax?: number;
  /** Lowest and highest per-round ratio, when the ratio is a median of rounds. */
  range?: [number, number];
  /** Lower is better (CPU time): the ratio is anchor / netlab. */
  inverse?: boolean;
  /** The ratio to print (the median of per-round ratios), when not netlab / anchor. */
  ratio?: number;
  /** What a reader must know to trust the row: rounds voided and why, a saturated client. */
  note?: string;
}

/** The median of `values` (not empty). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Resident set of a process tree, in bytes. */
export function rss(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

/** A process and all its descendants (nginx's workers, a pool's threads are tasks already). */
export function processTree(pid: number): number[] {
  const out = [pid];
  let tasks: string[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch {
    return out;
  }
  for (const task of tasks) {
    let children = "";
    try {
      children = Deno.readTextFileSync(`/proc/${pid}/task/${task}/children`);
    } catch {
      continue;
    }
    for (const c of children.trim().split(/\s+/).filter((x) => x !== "")) {
      out.push(...processTree(Number(c)));
    }
  }
  return out;
}

/** Nanoseconds on CPU so far of every thread of `pids` (schedstat's first field). */
export function cpuNs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        total += Number(Deno.readTextFileSync(`/proc/${pid}/task/${task}/schedstat`).split(" ")[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return total;
}

/** The 1-minute load average, for the report. */
export function loadAverage(): string {
  return Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
}

/** Installs Debian packages for missing commands (needs root, as on the dev and CI machines). */
export async function ensureCommands(commands: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const [cmd, pkg] of Object.entries(commands)) {
    const found = await new Deno.Command("sh", {
      args: ["-c", `command -v ${cmd}`],
      stdout: "null",
    })
      .output();
    if (!found.success) missing.push(pkg);
  }
  if (missing.length === 0) return;
  console.error(`installing ${missing.join(" ")} ...`);
  await new Deno.Command("apt-get", { args: ["update", "-qq"], stdout: "null", stderr: "null" })
    .output();
  const res = await new Deno.Command("apt-get", {
    args: ["install", "-y", "-qq", ...missing],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
  }).output();
  if (!res.success) throw new Error(`Cannot install ${missing.join(" ")} with apt-get`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resolves once something accepts TCP connections on host:port, or throws after `timeoutMs`. */
export async function waitForPort(
  port: number,
  host = "127.0.0.1",
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const c = await Deno.connect({ hostname: host, port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`Nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}

/** A child process that is killed when disposed. */
export interface Child extends AsyncDisposable {
  process: Deno.ChildProcess;
  port: number;
}

/** Starts a command and waits for `port` to accept connections. */
export async function startProcess(
  cmd: string,
  args: string[],
  port: number,
  host = "127.0.0.1",
): Promise<Child> {
  const process = new Deno.Command(cmd, { args, stdout: "null", stderr: "inherit", stdin: "null" })
    .spawn();
  const child: Child = {
    process,
    port,
    async [Symbol.asyncDispose]() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await process.status;
      clearTimeout(timer);
    },
  };
  try {
    await waitForPort(port, host);
  } catch (err) {
    await child[Symbol.asyncDispose]();
    throw err;
  }
  return child;
}

/** `deno run` arguments for a quiet `netlab bench --format json <args>` from source. */
export function benchJsonArgs(args: string[]): string[] {
  const netlab = ["bench", "-q", "--format", "json", ...args];
  return ["run", "-A", "--unstable-net", ...v8FlagsFor(netlab), MAIN, ...netlab];
}

/**
 * Starts `netlab <args>` from source on `port` (the caller puts `--port` in args); `main` runs
 * another checkout's `main.ts` (a before-and-after comparison).
 */
export function startNetlab(args: string[], port: number, main = MAIN): Promise<Child> {
  return startProcess(
    Deno.execPath(),
    ["run", "-A", "--unstable-net", ...v8FlagsFor(args), main, ...args],
    port,
  );
}

/**
 * Starts nginx with `workers` workers, access log off, serving `root` on 127.0.0.1:port; over
 * HTTPS with `tls` (PEM files; session tickets on, as by default).
 */
export async function startNginx(
  root: string,
  port: number,
  workers = 1,
  tls?: { certFile: string; keyFile: string },
): Promise<Child> {
  await ensureCommands({ nginx: "nginx" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-nginx-" });
  const conf = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port}${tls ? " ssl" : ""};${
      tls
        // nginx 1.22's default is TLS 1.0-1.2; from 1.23.4 it adds 1.3, as netlab and h2o
        // speak it: a resumed TLS 1.2 session skips the key exchange a TLS 1.3 one makes
        ? `\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_certificate ${tls.certFile};\n    ssl_certificate_key ${tls.keyFile};`
        : ""
    }
    root ${root};
  }
}
`,
  );
  return startProcess("nginx", ["-c", conf, "-p", dir], port);
}

/**
 * Starts h2o with one thread and no access log, serving `root` on 127.0.0.1:port. As root it would
 * drop to nobody, who may not read `root`: `user: root` keeps it.
 */
export async function startH2o(root: string, port: number): Promise<Child> {
  await ensureCommands({ h2o: "h2o" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-h2o-" });
  const conf = `${dir}/h2o.conf`;
  await Deno.writeTextFile(
    conf,
    `user: root
num-threads: 1
pid-file: ${dir}/h2o.pid
error-log: ${dir}/error.log
listen:
  host: 127.0.0.1
  port: ${port}
hosts:
  default:
    paths:
      /:
        file.dir: ${root}
`,
  );
  return startProcess("h2o", ["-c", conf], port);
}

/** Renders perf rows as a markdown table with ratios. */
export function renderRows(rows: PerfRow[]): string {
  const lines = [
    "| section | measurement | netlab | anchor | ratio | goal | note |",
    "|---|---|---:|---:|---:|---:|---|",
  ];
  for (const r of rows) {
    const ratio = r.ratio ??
      (r.inverse
        ? (r.netlab > 0 ? r.anchor / r.netlab : NaN)
        : (r.anchor > 0 ? r.netlab / r.anchor : NaN));
    const goalSet = r.goal !== undefined || r.goalMax !== undefined;
    // a row whose every round was voided has no ratio, and cannot pass
    const missed = (goalSet && Number.isNaN(ratio)) || (r.goal !== undefined && ratio < r.goal) ||
      (r.goalMax !== undefined && ratio > r.goalMax);
    const mark = missed ? " ✗" : "";
    const range = r.range ? ` [${r.range[0].toFixed(2)}-${r.range[1].toFixed(2)}]` : "";
    const digits = r.netlab < 100 ? 1 : 0;
    lines.push(
      `| ${r.section} | ${r.what} | ${r.netlab.toFixed(digits)} ${r.unit} | ${
        r.anchor.toFixed(digits)
      } ${r.unit} (${r.anchorName}) | ${ratio.toFixed(2)}x${range}${mark} | ${
        r.goal !== undefined ? `>= ${r.goal}x` : r.goalMax !== undefined ? `<= ${r.goalMax}x` : ""
      } | ${r.note ?? ""} |`,
    );
  }
  return lines.join("\n");
}
