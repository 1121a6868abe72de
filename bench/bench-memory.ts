/**
 * `deno task perf bench-memory`: peak RSS of a spawned `netlab bench` doing 1,000,000 keep-alive
 * requests against nginx (each engine with its default threads, 50 connections); the goal is under
 * 150 MB. Long, so opt-in.
 * NETLAB_PERF_REQUESTS changes the count.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { benchJsonArgs, freePort, type PerfRow, startNginx } from "./_tools.ts";
import { smallSite } from "./bench.ts";
import { PerfLock } from "./_lock.ts";

const REQUESTS = Number(Deno.env.get("NETLAB_PERF_REQUESTS") ?? 1_000_000);

/** Peak resident set (VmHWM) of a live process, in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

async function measure(url: string, engine: "raw" | "fetch"): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: benchJsonArgs([
      "-k",
      "-c",
      "50",
      "-n",
      String(REQUESTS),
      "--engine",
      engine,
      url,
    ]),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let peak = 0;
  const timer = setInterval(async () => {
    try {
      peak = Math.max(peak, await peakRss(child.pid));
    } catch { /* exited between ticks */ }
  }, 200);
  const out = await child.output();
  clearInterval(timer);
  const r = JSON.parse(new TextDecoder().decode(out.stdout))[0].runs[0];
  console.error(
    `  ${engine}: ${r.complete} complete, ${r.failed} failed, ${
      r.requestsPerSecond.toFixed(0)
    } req/s, peak RSS ${(peak / 1e6).toFixed(1)} MB`,
  );
  return peak;
}

/** The perf section. */
export async function run(): Promise<PerfRow[]> {
  const site = await smallSite();
  const port = freePort();
  try {
    await using _nginx = await startNginx(site.root, port);
    const url = `http://127.0.0.1:${port}${site.path}`;
    console.error(`bench-memory: ${REQUESTS} requests per engine`);
    const rows: PerfRow[] = [];
    // every load holds the machine's perf lock, taken per load (see _lock.ts)
    const lock = new PerfLock();
    for (const engine of ["raw", "fetch"] as const) {
      const peak = await lock.run(() => measure(url, engine));
      rows.push({
        section: "bench-memory",
        what:
          `${engine} engine (default threads) peak RSS over ${REQUESTS} requests (goal < 150 MB)`,
        netlab: peak / 1e6,
        anchor: 150,
        anchorName: "limit",
        unit: "MB",
      });
    }
    return rows;
  } finally {
    await Deno.remove(site.root, { recursive: true });
  }
}
