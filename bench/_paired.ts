/**
 * From interleaved load runs to a perf row: each run of netlab is paired with its anchor's run of
 * the same round, a pair is voided when either run had a problem, and the row gives the median and
 * range of the per-pair ratios, with a note saying what was voided and how busy the load generator
 * itself was. The server's CPU per request is read from schedstat around each run, so the same runs
 * give a throughput row and a CPU row.
 *
 * @module
 */
import type { LoadRun } from "./_load.ts";
import { cpuNs, median, type PerfRow } from "./_tools.ts";

/**
 * A load generator on a CPU at least this share of a run saturated a core itself (client-bound);
 * one runnable (on a CPU or queued for one) this share of a run never waited for the server, the
 * cores were the limit (CPU-bound). Either way its rate measures the machine as much as the server.
 */
export const CLIENT_BOUND = 0.9;

/** One server's figures from one load run. */
export interface Sample {
  rps: number;
  /** The server's CPU per request in µs, all its processes and threads (schedstat). */
  cpuUs: number;
  /** The generator's CPU over the load's length: 1 is a whole core. */
  clientCores: number;
  /** The generator's wait for a CPU over the load's length. */
  clientWait: number;
  /** Why the run must not count, when it must not. */
  problem?: string;
  /** The load's median latency in µs, when it measured one. */
  p50Us?: number;
}

/** Runs `load` and reads the CPU `pids` spent meanwhile. */
export async function measure(pids: number[], load: () => Promise<LoadRun>): Promise<Sample> {
  const before = cpuNs(pids);
  const run = await load();
  const spent = cpuNs(pids) - before;
  const sample: Sample = {
    rps: run.rps,
    cpuUs: run.requests > 0 ? spent / run.requests / 1000 : NaN,
    clientCores: run.clientCpu / run.elapsed,
    clientWait: run.clientWait / run.elapsed,
  };
  if (run.problem) sample.problem = run.problem;
  if (run.p50Us !== undefined) sample.p50Us = run.p50Us;
  return sample;
}

/** What a paired row shows. */
export interface PairedRowOptions {
  section: string;
  what: string;
  anchorName: string;
  /** `rps` for throughput, `cpuUs` for the server's CPU per request (lower is better). */
  figure: "rps" | "cpuUs";
  goal?: number;
  /** The load generator's name, to note its CPU use (throughput rows). */
  client?: string;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

/** The row for `netlab[i]` against `anchor[i]`, pairs with a problem left out and noted. */
export function pairedRow(o: PairedRowOptions, netlab: Sample[], anchor: Sample[]): PerfRow {
  const kept: number[] = [];
  const reasons = new Set<string>();
  netlab.forEach((a, i) => {
    const b = anchor[i]!;
    if (a.problem) reasons.add(`netlab ${a.problem}`);
    if (b.problem) reasons.add(`${o.anchorName} ${b.problem}`);
    if (!a.problem && !b.problem) kept.push(i);
  });
  const inverse = o.figure === "cpuUs";
  const a = kept.map((i) => netlab[i]![o.figure]);
  const b = kept.map((i) => anchor[i]![o.figure]);
  const ratios = a.map((x, i) => inverse ? b[i]! / x : x / b[i]!);
  const notes: string[] = [];
  if (kept.length < netlab.length) {
    notes.push(
      `${netlab.length - kept.length} of ${netlab.length} rounds voided (${
        [...reasons].join("; ")
      })`,
    );
  }
  if (o.client && kept.length > 0) {
    const busy = (samples: Sample[]) => {
      const cpu = median(kept.map((i) => samples[i]!.clientCores));
      const wait = median(kept.map((i) => samples[i]!.clientWait));
      return {
        cpu,
        wait,
        text: `${percent(cpu + wait)} (${percent(cpu)} CPU + ${percent(wait)} run queue)`,
      };
    };
    const mine = busy(netlab), theirs = busy(anchor);
    // which side's runs were bound: the other side's rate may still be the server's own
    const side = (a: boolean, b: boolean) =>
      a && b ? "" : a ? " (against netlab only)" : ` (against ${o.anchorName} only)`;
    const client = [mine.cpu >= CLIENT_BOUND, theirs.cpu >= CLIENT_BOUND] as const;
    const cores = [
      mine.cpu + mine.wait >= CLIENT_BOUND,
      theirs.cpu + theirs.wait >= CLIENT_BOUND,
    ] as const;
    const bound = client[0] || client[1]
      ? `client-bound${side(...client)}: `
      : cores[0] || cores[1]
      ? `CPU-bound${side(...cores)}: `
      : "";
    notes.push(
      `${bound}${o.client} busy ${mine.text} vs netlab, ${theirs.text} vs ${o.anchorName}`,
    );
  }
  const row: PerfRow = {
    section: o.section,
    what: o.what,
    netlab: kept.length > 0 ? median(a) : NaN,
    anchor: kept.length > 0 ? median(b) : NaN,
    anchorName: o.anchorName,
    unit: inverse ? "µs" : "req/s",
    inverse,
    // the median of per-round ratios (each round's two ran side by side), not of medians
    ratio: kept.length > 0 ? median(ratios) : NaN,
  };
  if (kept.length > 0) row.range = [Math.min(...ratios), Math.max(...ratios)];
  if (o.goal !== undefined) row.goal = o.goal;
  if (notes.length > 0) row.note = notes.join("; ").replaceAll("|", "/").replaceAll("\n", " ");
  return row;
}
