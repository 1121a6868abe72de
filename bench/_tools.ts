/**
 * Shared plumbing for `deno task perf`: installing the anchors, starting servers as child processes,
 * running wrk and ab, and printing side-by-side ratios. Each `bench/<section>.ts` uses these.
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

/** Starts `netlab <args>` from source on `port` (the caller puts `--port` in args). */
export function startNetlab(args: string[], port: number): Promise<Child> {
  return startProcess(
    Deno.execPath(),
    ["run", "-A", "--unstable-net", ...v8FlagsFor(args), MAIN, ...args],
    port,
  );
}

/** Starts nginx with one worker, access log off, serving `root` on 127.0.0.1:port. */
export async function startNginx(root: string, port: number): Promise<Child> {
  await ensureCommands({ nginx: "nginx" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-nginx-" });
  const conf = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `worker_processes 1;
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
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  return startProcess("nginx", ["-c", conf, "-p", dir], port);
}

/** Runs wrk and returns requests per second. */
export async function wrk(
  url: string,
  opts: { connections?: number; seconds?: number; threads?: number } = {},
): Promise<number> {
  await ensureCommands({ wrk: "wrk" });
  const c = opts.connections ?? 50;
  const out = await new Deno.Command("wrk", {
    args: [`-t${opts.threads ?? 1}`, `-c${c}`, `-d${opts.seconds ?? 5}s`, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/Requests\/sec:\s+([\d.]+)/);
  if (!m) throw new Error(`wrk printed no Requests/sec:\n${text}`);
  if (/Non-2xx|Socket errors/.test(text)) console.error(`wrk reported problems:\n${text}`);
  return Number(m[1]);
}

/** Runs ab and returns requests per second. */
export async function ab(
  url: string,
  opts: { requests?: number; concurrency?: number; keepAlive?: boolean } = {},
): Promise<number> {
  await ensureCommands({ ab: "apache2-utils" });
  const args = ["-q", "-n", String(opts.requests ?? 5000), "-c", String(opts.concurrency ?? 10)];
  if (opts.keepAlive) args.push("-k");
  const out = await new Deno.Command("ab", {
    args: [...args, url],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/Requests per second:\s+([\d.]+)/);
  if (!m) {
    throw new Error(
      `ab printed no Requests per second:\n${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const failed = text.match(/Failed requests:\s+(\d+)/);
  if (failed && failed[1] !== "0") console.error(`ab: ${failed[1]} failed requests on ${url}`);
  return Number(m[1]);
}

/** Renders perf rows as a markdown table with ratios. */
export function renderRows(rows: PerfRow[]): string {
  const lines = [
    "| section | measurement | netlab | anchor | ratio | goal |",
    "|---|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const ratio = r.anchor > 0 ? r.netlab / r.anchor : NaN;
    const missed = (r.goal !== undefined && ratio < r.goal) ||
      (r.goalMax !== undefined && ratio > r.goalMax);
    const mark = missed ? " ✗" : "";
    lines.push(
      `| ${r.section} | ${r.what} | ${r.netlab.toFixed(0)} ${r.unit} | ${
        r.anchor.toFixed(0)
      } ${r.unit} (${r.anchorName}) | ${ratio.toFixed(2)}x${mark} | ${
        r.goal !== undefined ? `>= ${r.goal}x` : r.goalMax !== undefined ? `<= ${r.goalMax}x` : ""
      } |`,
    );
  }
  return lines.join("\n");
}
