/**
 * `deno task perf bench`: load-generation speed against nginx (keep-alive, 50 connections, a small
 * file), measured in turn with wrk (-t1 and -t2), autocannon and netlab bench's raw and fetch
 * engines (default threads, and fetch on one thread), each as its own process so they never share
 * an event loop. Then fairness at -c 1000: wrk and the raw engine in turn, p99 and throughput. Peak memory over 1,000,000 requests is the
 * separate, slower `deno task perf bench-memory`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { wrk } from "./_load.ts";
import { PerfLock } from "./_lock.ts";
import { benchJsonArgs, freePort, type PerfRow, startNginx } from "./_tools.ts";
import { type FairnessFigures, netlabLatency, wrkLatency } from "./_fairness.ts";
import { autoRows } from "./bench-auto.ts";

const SECONDS = Number(Deno.env.get("NETLAB_PERF_SECONDS") ?? 5);
/** Rounds of all four tools in turn; the best of each counts (other load only ever slows a tool). */
const ROUNDS = Number(Deno.env.get("NETLAB_PERF_ROUNDS") ?? 3);
const CONNECTIONS = 50;
/** The high-concurrency check: every connection must get its turn. */
const MANY_CONNECTIONS = 1000;

/** wrk and the raw engine at -c 1000 in alternating rounds: best throughput, lowest p99 each. */
async function fairness(url: string): Promise<PerfRow[]> {
  console.error(`bench: fairness at -c ${MANY_CONNECTIONS}, wrk and raw in turn, ${ROUNDS} rounds`);
  const best = { wrk: [] as FairnessFigures[], raw: [] as FairnessFigures[] };
  for (let round = 1; round <= ROUNDS; round++) {
    const w = await wrkLatency(url, MANY_CONNECTIONS, SECONDS);
    const n = await netlabLatency(url, MANY_CONNECTIONS, SECONDS);
    best.wrk.push(w);
    best.raw.push(n);
    const f = (x: FairnessFigures) =>
      `${x.rps.toFixed(0)} req/s p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)} max ${
        x.max.toFixed(0)
      } ms`;
    console.error(
      `  round ${round}: wrk ${f(w)}; raw ${f(n)}, peak RSS ${(n.rssKB / 1024).toFixed(0)} MB; ` +
        `load ${Deno.loadavg()[0]}`,
    );
  }
  const max = (xs: FairnessFigures[], k: "rps") => Math.max(...xs.map((x) => x[k]));
  const min = (xs: FairnessFigures[], k: "p99") => Math.min(...xs.map((x) => x[k]));
  const what = `(nginx, -k -c ${MANY_CONNECTIONS})`;
  return [
    {
      section: "bench",
      what: `raw engine req/s ${what} vs wrk`,
      netlab: max(best.raw, "rps"),
      anchor: max(best.wrk, "rps"),
      anchorName: "wrk",
      unit: "req/s",
      goal: 0.9,
    },
    {
      section: "bench",
      what: `raw engine p99 ${what} vs wrk's (lower is better)`,
      netlab: min(best.raw, "p99"),
      anchor: min(best.wrk, "p99"),
      anchorName: "wrk",
      unit: "ms",
      goalMax: 2,
    },
  ];
}

/** A temp directory holding one small HTML file (about a kilobyte, like the lab's page). */
export async function smallSite(): Promise<{ root: string; path: string }> {
  const root = await Deno.makeTempDir({ prefix: "netlab-perf-bench-" });
  const html = `<!doctype html><title>small</title><p>${"netlab ".repeat(130)}</p>\n`;
  await Deno.writeTextFile(`${root}/small.html`, html);
  // nginx's worker runs as another user: the temp dir is 0700 by default.
  await Deno.chmod(root, 0o755);
  await Deno.chmod(`${root}/small.html`, 0o644);
  return { root, path: "/small.html" };
}

/** Runs `netlab bench` as a child and returns its first cell's first run (a bench result). */
export async function netlabBench(args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: benchJsonArgs(args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`netlab bench failed: ${new TextDecoder().decode(out.stderr)}\n${text}`);
  }
  return JSON.parse(text)[0].runs[0];
}

async function autocannon(url: string): Promise<number> {
  const out = await new Deno.Command("npx", {
    args: ["-y", "autocannon@8", "-c", String(CONNECTIONS), "-d", String(SECONDS), "-j", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`autocannon failed: ${new TextDecoder().decode(out.stderr)}`);
  const json = JSON.parse(text.slice(text.indexOf("{")));
  if (json.errors > 0 || json.non2xx > 0) {
    throw new Error(`autocannon: ${json.errors} errors, ${json.non2xx} non-2xx`);
  }
  return json.requests.total / (json.duration || SECONDS);
}

/** req/s of a bare Deno loop (bench/_loops.ts): the floor each engine is built on. */
async function bareLoop(url: string, mode: "socket" | "fetch"): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_loops.ts", import.meta.url).pathname,
      mode,
      url,
      String(CONNECTIONS),
      String(SECONDS),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`bare ${mode} loop failed`);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

async function netlabRps(
  url: string,
  engine: "raw" | "fetch",
  threads?: number,
): Promise<number> {
  const r = await netlabBench([
    ...(threads !== undefined ? ["--threads", String(threads)] : []),
    "-k",
    "-c",
    String(CONNECTIONS),
    "-t",
    String(SECONDS),
    "--engine",
    engine,
    url,
  ]);
  if ((r.failed as number) > 0 || (r.non2xx as number) > 0) {
    throw new Error(`netlab bench ${engine}: ${r.failed} failed, ${r.non2xx} non-2xx`);
  }
  return r.requestsPerSecond as number;
}

/** The perf section. */
export async function run(): Promise<PerfRow[]> {
  const site = await smallSite();
  const port = freePort();
  try {
    await using _nginx = await startNginx(site.root, port);
    const url = `http://127.0.0.1:${port}${site.path}`;
    console.error(
      `bench: wrk, autocannon, netlab raw and fetch, bare Deno loops in turn; ${ROUNDS} rounds of ${SECONDS} s, -c ${CONNECTIONS}`,
    );
    const tools: Record<string, () => Promise<number>> = {
      wrk: () => wrk(url, { connections: CONNECTIONS, seconds: SECONDS }),
      "wrk -t2": () => wrk(url, { connections: CONNECTIONS, seconds: SECONDS, threads: 2 }),
      autocannon: () => autocannon(url),
      raw: () => netlabRps(url, "raw"),
      fetch: () => netlabRps(url, "fetch"),
      "fetch -t1": () => netlabRps(url, "fetch", 1),
      "socket loop": () => bareLoop(url, "socket"),
      "fetch loop": () => bareLoop(url, "fetch"),
    };
    // every load holds the machine's perf lock, taken per load (see _lock.ts)
    const lock = new PerfLock();
    const best: Record<string, number> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      const line: string[] = [];
      for (const [name, measure] of Object.entries(tools)) {
        const rps = await lock.run(measure);
        best[name] = Math.max(best[name] ?? 0, rps);
        line.push(`${name} ${rps.toFixed(0)}`);
      }
      console.error(`  round ${round}: ${line.join(", ")} req/s`);
    }
    // wrk at its best of one thread and two (its default): on 2 cores the second thread mostly
    // takes CPU from the server.
    const wrkRps = Math.max(best.wrk!, best["wrk -t2"]!);
    const acRps = best.autocannon!;
    const rawRps = best.raw!;
    const fetchRps = best.fetch!;
    const row = (
      what: string,
      netlab: number,
      anchor: number,
      anchorName: string,
      goal?: number,
    ) => ({
      section: "bench",
      what,
      netlab,
      anchor,
      anchorName,
      unit: "req/s",
      ...(goal !== undefined ? { goal } : {}),
    });
    const fetch1 = best["fetch -t1"]!;
    const fair = Deno.env.get("NETLAB_PERF_FAIRNESS") === "0"
      ? []
      : await lock.run(() => fairness(url));
    console.error("bench: the auto engine (what `netlab bench URL` runs), --live and --urls-file");
    const auto = await autoRows(site.path, port);
    return [
      ...fair,
      ...auto,
      row("raw engine vs wrk (nginx, -k -c 50; default threads)", rawRps, wrkRps, "wrk", 0.9),
      row("fetch engine vs wrk (nginx, -k -c 50; default threads)", fetchRps, wrkRps, "wrk", 0.4),
      row("fetch engine vs autocannon", fetchRps, acRps, "autocannon"),
      row("raw engine vs autocannon", rawRps, acRps, "autocannon"),
      row("fetch engine, default threads vs --threads 1", fetchRps, fetch1, "fetch -t1"),
      row("raw engine vs a bare Deno socket loop (1 thread)", rawRps, best["socket loop"]!, "loop"),
      row(
        "fetch engine --threads 1 vs a bare Deno fetch loop",
        fetch1,
        best["fetch loop"]!,
        "loop",
      ),
    ];
  } finally {
    await Deno.remove(site.root, { recursive: true });
  }
}
