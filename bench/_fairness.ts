/**
 * Fairness at high concurrency: wrk and netlab bench's raw engine against the same nginx with
 * `-c 1000` keep-alive, comparing p50, p99 and max latency and the throughput. A load generator
 * whose ready connections run ahead of the others reports a bimodal latency (a low p50, a high
 * p99) that describes its own scheduling, not the server.
 *
 * @module
 */
import { benchJsonArgs } from "./_tools.ts";

/** One tool's figures at high concurrency. */
export interface FairnessFigures {
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function wrkMs(text: string, label: RegExp): number {
  const m = label.exec(text);
  if (!m) throw new Error(`wrk printed no ${label}:\n${text}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** wrk --latency with `connections` on one thread. */
export async function wrkLatency(
  url: string,
  connections: number,
  seconds: number,
): Promise<FairnessFigures> {
  const out = await new Deno.Command("wrk", {
    args: ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50: wrkMs(text, /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m),
    p99: wrkMs(text, /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m),
    max: wrkMs(text, /^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\b/m),
  };
}

/** netlab bench, raw engine, keep-alive, with `connections` for `seconds`. */
export async function netlabLatency(
  url: string,
  connections: number,
  seconds: number,
  extra: string[] = [],
): Promise<FairnessFigures & { rssKB: number; connectMax: number; connectMean: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: benchJsonArgs([
      "-k",
      "--engine",
      "raw",
      "-c",
      String(connections),
      "-t",
      String(seconds),
      ...extra,
      url,
    ]),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let rssKB = 0;
  const timer = setInterval(async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      rssKB = Math.max(rssKB, Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
    } catch { /* exited between ticks */ }
  }, 100);
  const out = await child.output();
  clearInterval(timer);
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`netlab bench failed: ${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(text)[0].runs[0];
  if (r.failed > 0) throw new Error(`netlab bench: ${r.failed} failed ${JSON.stringify(r.errors)}`);
  return {
    rps: r.requestsPerSecond,
    p50: r.percentiles["50"],
    p99: r.percentiles["99"],
    max: r.percentiles["100"],
    rssKB,
    connectMax: r.connectionTimes?.connect?.max ?? 0,
    connectMean: r.connectionTimes?.connect?.mean ?? 0,
  };
}
