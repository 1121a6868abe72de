/**
 * `deno task perf bench-auto` (and part of `deno task perf bench`): what a user gets who types
 * `netlab bench URL`, the auto engine, against wrk on the same nginx at -c 50 and -c 1000 (req/s
 * and p99), the cost of the live view (`--live` against `-q`), and a 100-URL `--urls-file` against
 * one URL. Every tool runs as its own process, in alternating rounds, each load under the perf
 * lock, the order flipped every round; the best round of each counts (other load only ever slows a
 * tool), except `--live` against `-q`: the median of the rounds' paired ratios, and the CPU per
 * request beside it (the whole process's, which other load moves less than req/s).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { PerfLock } from "./_lock.ts";
import { freePort, MAIN, median, type PerfRow, startNginx } from "./_tools.ts";
import { type FairnessFigures, wrkLatency } from "./_fairness.ts";
import { v8FlagsFor } from "../lib/runtime/v8_flags.ts";

const SECONDS = Number(Deno.env.get("NETLAB_PERF_SECONDS") ?? 5);
const ROUNDS = Number(Deno.env.get("NETLAB_PERF_ROUNDS") ?? 3);

/** `netlab bench -k -t SECONDS` with the auto engine; the JSON goes to a file (the live view owns stdout). */
async function auto(url: string | null, connections: number, extra: string[]) {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const args = ["bench", "-k", "-c", String(connections), "-t", String(SECONDS)]
      .concat("--format", "json", "--out", out, ...extra, ...(url === null ? [] : [url]));
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-net", ...v8FlagsFor(args), MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!run.success) {
      throw new Error(`netlab bench failed: ${new TextDecoder().decode(run.stderr)}`);
    }
    const r = JSON.parse(await Deno.readTextFile(out))[0].runs[0];
    if (r.failed > 0 || r.non2xx > 0) throw new Error(`netlab bench: ${r.failed} failed`);
    if (r.engine !== "raw") throw new Error(`auto chose ${r.engine}, not raw`);
    // the whole process's CPU (all its threads) per request: the live view's cost shows here even
    // when other load on the machine moves req/s more than 2%
    const cpuUs = (r.client.cpuPercent / 100) * r.timeTakenSeconds * r.threads * 1e6 / r.complete;
    return {
      cpuUs,
      rps: r.requestsPerSecond as number,
      p50: r.percentiles["50"] as number,
      p99: r.percentiles["99"] as number,
      max: r.percentiles["100"] as number,
    };
  } finally {
    await Deno.remove(out);
  }
}

type Figures = FairnessFigures & { cpuUs?: number };

/** The section's rows, against nginx serving `root` (a small file at `path`). */
export async function autoRows(path: string, port: number): Promise<PerfRow[]> {
  const url = `http://127.0.0.1:${port}${path}`;
  const list = await Deno.makeTempFile({ suffix: ".txt" });
  // 100 URLs of one file (nginx ignores the query): the same work per request, 100 lines to count
  await Deno.writeTextFile(
    list,
    Array.from({ length: 100 }, (_, i) => `${url}?u=${i}`).join("\n") + "\n",
  );
  const tools: Record<string, () => Promise<Figures>> = {
    "wrk c50": () => wrkLatency(url, 50, SECONDS),
    "auto c50": () => auto(url, 50, ["-q"]),
    "auto c50 live": () => auto(url, 50, ["--live"]),
    "urls c50": () => auto(null, 50, ["-q", "--urls-file", list, "--order", "random"]),
    "wrk c1000": () => wrkLatency(url, 1000, SECONDS),
    "auto c1000": () => auto(url, 1000, ["-q"]),
    "auto c1000 live": () => auto(url, 1000, ["--live"]),
  };
  const lock = new PerfLock();
  const best: Record<string, Figures> = {};
  /** Per round, each tool's figures, for the paired --live against -q ratios. */
  const rounds: Record<string, Figures>[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const line: string[] = [];
      const here: Record<string, Figures> = {};
      rounds.push(here);
      // the order flips every round: a tool that always ran after another would carry its wake
      // (1,000 closing connections, a warm or cold server) in every round
      const order = Object.entries(tools);
      if (round % 2 === 0) order.reverse();
      for (const [name, measure] of order) {
        const f = await lock.run(measure);
        here[name] = f;
        const b = best[name];
        best[name] = {
          rps: Math.max(b?.rps ?? 0, f.rps),
          p50: Math.min(b?.p50 ?? Infinity, f.p50),
          p99: Math.min(b?.p99 ?? Infinity, f.p99),
          max: Math.min(b?.max ?? Infinity, f.max),
        };
        const cpu = f.cpuUs === undefined ? "" : ` ${f.cpuUs.toFixed(1)} µs CPU/req`;
        line.push(`${name} ${f.rps.toFixed(0)} req/s p99 ${f.p99.toFixed(1)} ms${cpu}`);
      }
      console.error(`  round ${round}: ${line.join("; ")}; load ${Deno.loadavg()[0]}`);
    }
  } finally {
    await Deno.remove(list);
  }
  const b = (name: string) => best[name]!;
  /** The median over rounds of one tool's ratio to another's, paired within each round. */
  const paired = (
    what: string,
    live: string,
    quiet: string,
    of: "rps" | "cpuUs",
    anchorName = "-q",
    goal = 0.98,
  ) => {
    const ratios = rounds.map((r) =>
      of === "rps" ? r[live]!.rps / r[quiet]!.rps : r[quiet]!.cpuUs! / r[live]!.cpuUs!
    );
    const mid = (k: string) => median(rounds.map((r) => r[k]![of]!));
    return {
      section: "bench",
      what,
      netlab: mid(live),
      anchor: mid(quiet),
      anchorName,
      unit: of === "rps" ? "req/s" : "µs",
      ratio: median(ratios),
      range: [Math.min(...ratios), Math.max(...ratios)] as [number, number],
      goal,
      ...(of === "cpuUs" ? { inverse: true } : {}),
    };
  };
  const row = (what: string, netlab: number, anchor: number, anchorName: string, unit: string) => ({
    section: "bench",
    what,
    netlab,
    anchor,
    anchorName,
    unit,
  });
  return [
    {
      ...row(
        "auto engine req/s vs wrk (nginx, -k -c 50)",
        b("auto c50").rps,
        b("wrk c50").rps,
        "wrk",
        "req/s",
      ),
      goal: 1,
    },
    {
      ...row(
        "auto engine p99 vs wrk's (-c 50; lower is better)",
        b("auto c50").p99,
        b("wrk c50").p99,
        "wrk",
        "ms",
      ),
      goalMax: 2,
    },
    {
      ...row(
        "auto engine req/s vs wrk (nginx, -k -c 1000)",
        b("auto c1000").rps,
        b("wrk c1000").rps,
        "wrk",
        "req/s",
      ),
      goal: 1,
    },
    {
      ...row(
        "auto engine p99 vs wrk's (-c 1000; lower is better)",
        b("auto c1000").p99,
        b("wrk c1000").p99,
        "wrk",
        "ms",
      ),
      goalMax: 2,
    },
    paired(
      "auto --live vs -q (-c 50), median of paired rounds",
      "auto c50 live",
      "auto c50",
      "rps",
    ),
    paired("CPU per request, --live vs -q (-c 50)", "auto c50 live", "auto c50", "cpuUs"),
    paired(
      "auto --live vs -q (-c 1000), median of paired rounds",
      "auto c1000 live",
      "auto c1000",
      "rps",
    ),
    paired("CPU per request, --live vs -q (-c 1000)", "auto c1000 live", "auto c1000", "cpuUs"),
    {
      ...row(
        "auto --live p99 vs wrk's (-c 1000; lower is better)",
        b("auto c1000 live").p99,
        b("wrk c1000").p99,
        "wrk",
        "ms",
      ),
      goalMax: 2,
    },
    {
      ...row(
        "--urls-file of 100 URLs (random) vs one URL (-c 50)",
        b("urls c50").rps,
        b("auto c50").rps,
        "one URL",
        "req/s",
      ),
      goal: 0.95,
    },
    paired(
      "CPU per request, --urls-file of 100 URLs vs one URL (-c 50)",
      "urls c50",
      "auto c50",
      "cpuUs",
      "one URL",
      0.95,
    ),
  ];
}

/** The section on its own: nginx with one worker and a 1 KB file. */
export async function run(): Promise<PerfRow[]> {
  const root = await Deno.makeTempDir({ prefix: "netlab-perf-auto-" });
  try {
    await Deno.writeTextFile(
      `${root}/small.html`,
      `<!doctype html><p>${"netlab ".repeat(130)}</p>\n`,
    );
    await Deno.chmod(root, 0o755);
    await Deno.chmod(`${root}/small.html`, 0o644);
    const port = freePort();
    await using _nginx = await startNginx(root, port);
    console.error(
      `bench-auto: wrk and netlab's auto engine in turn; ${ROUNDS} rounds of ${SECONDS} s`,
    );
    return await autoRows("/small.html", port);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
