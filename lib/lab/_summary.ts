/**
 * A lab cell and its runs: each run is one bench run with when it ran and what the client's CPU
 * did meanwhile, in bench's `BenchRun` shape (the cell's summary is bench's own `summarize`). Two
 * differences from `netlab bench`: a run is client-bound at 90% client CPU whatever its length
 * (bench also wants 250 ms; the lab's runs last 60-400 ms at the defaults); and without
 * --allow-sys the load average is unknown ([]) rather than an error.
 *
 * @module
 */
import { bench, type BenchOptions } from "../bench/run.ts";
import type { BenchRun } from "../bench/cell.ts";
import { summarize } from "../bench/summary.ts";
import type { LabCell, LabModel } from "./types.ts";
import { environmentNow, processCpuMs } from "../bench/environment.ts";
import { SATURATED_PERCENT } from "../bench/summary.ts";

/** One bench run with when it ran and what the client's CPU did meanwhile. */
export async function timedRun(
  options: BenchOptions,
  control: { signal?: AbortSignal },
): Promise<BenchRun> {
  const startedAt = new Date().toISOString();
  const cpu0 = processCpuMs();
  const wall0 = performance.now();
  const result = await bench(options, control);
  const cpu = processCpuMs() - cpu0;
  const wall = performance.now() - wall0;
  const threads = Math.max(1, result.threads);
  const cpuPercent = wall > 0 ? Math.round((cpu / (wall * threads)) * 1000) / 10 : 0;
  return {
    ...result,
    startedAt,
    endedAt: new Date().toISOString(),
    client: { cpuPercent, saturated: cpuPercent >= SATURATED_PERCENT },
    latencyHistogram: result.latencyHistogram ?? "",
  };
}

/** A cell before its first run: what it will measure, no runs yet. */
export function emptyCell(o: {
  model: LabModel;
  reference: boolean;
  /** "http://host:port" of the target. */
  base: string;
  route: string;
  concurrency: number;
  engine: "fetch" | "raw";
  warmup: number;
}): LabCell {
  const now = new Date().toISOString();
  return {
    name: `${o.model} ${o.route}`,
    model: o.model,
    reference: o.reference,
    route: o.route,
    url: o.base + o.route,
    concurrency: o.concurrency,
    engine: o.engine,
    warmup: o.warmup,
    startedAt: now,
    endedAt: now,
    environment: environmentNow([], []),
    client: { cpuPercent: 0, saturated: false },
    interrupted: false,
    runs: [],
    summary: summarize([]),
  };
}
