/**
 * The JSON shape of `netlab bench --format json` and of a lab's results.json: one cell per URL and
 * concurrency level, each with every repeat's figures (`runs`) and their `summary`. docs/bench.md
 * describes it and docs/bench-result.schema.json is its JSON Schema; `netlab bench compare` reads
 * it back.
 *
 * @module
 */
import type { BenchResult, PerUrlResult } from "./result.ts";
import type { ShardInfo } from "./shard.ts";

/** What the load generator's own process used during a run (or a cell's runs). */
export interface ClientUsage {
  /**
   * CPU time of the bench process over wall time × its threads, in percent (100: every thread busy
   * all the time).
   */
  cpuPercent: number;
  /**
   * The load generator, not the server, set the pace: cpuPercent reached 90, or its busiest thread
   * did (a fetch run's ceiling: its I/O shares the JS thread), or it took 60% of the machine.
   */
  saturated: boolean;
  /** The busiest thread's CPU over wall time, in percent (Linux only: /proc). */
  busiestThreadPercent?: number;
  /** CPU of the bench process over wall time × the machine's CPUs, in percent. */
  machinePercent?: number;
  /** Why the run counts as saturated, e.g. "its busiest thread was 94% busy". */
  limit?: string;
}

/** Where a cell was measured. */
export interface BenchEnvironment {
  /** netlab's version. */
  netlab: string;
  /** Deno's version. */
  deno: string;
  /** V8's version. */
  v8: string;
  /** Deno.build.os, e.g. "linux". */
  os: string;
  /** Deno.build.arch, e.g. "x86_64". */
  arch: string;
  /** Logical CPUs (navigator.hardwareConcurrency). */
  cpus: number;
  /** 1, 5 and 15 minute load averages when the cell started ([] where the OS has none). */
  loadAverageStart: number[];
  /** The same when the cell ended. */
  loadAverageEnd: number[];
}

/** One repeat of a cell: a bench result plus when it ran, what the client used and its histogram. */
export interface BenchRun extends BenchResult {
  /** ISO 8601 time the run started (after the warm-up). */
  startedAt: string;
  /** ISO 8601 time the run ended. */
  endedAt: string;
  /** The client's CPU during this run. */
  client: ClientUsage;
  /**
   * The total-time HdrHistogram in microseconds, compressed and base64-encoded as hdr-histogram-js
   * (and HdrHistogram's Java and C versions) write it; "" when no request completed.
   */
  latencyHistogram: string;
}

/** The median, range and a 95% bootstrap interval for the median of one figure across runs. */
export interface Spread {
  /** Median across runs. */
  median: number;
  /** Lowest run. */
  min: number;
  /** Highest run. */
  max: number;
  /** Lower bound of the 95% confidence interval for the median (seeded bootstrap). */
  ciLow: number;
  /** Upper bound of that interval. */
  ciHigh: number;
}

/** A cell's runs taken together. */
export interface BenchSummary {
  /** Runs summarised. */
  runs: number;
  /** Requests per second across runs. */
  requestsPerSecond: Spread;
  /** Completed requests, all runs. */
  complete: number;
  /** Failed requests, all runs. */
  failed: number;
  /** Non-2xx responses, all runs. */
  non2xx: number;
  /** Total-time percentiles in ms from the runs' merged histograms: "50" ... "99.99", "100". */
  percentiles: Record<string, number>;
  /** Mean total time in ms over every completed request of every run. */
  meanLatencyMs: number;
  /** The runs' histograms merged, encoded as in `BenchRun.latencyHistogram`. */
  latencyHistogram: string;
  /** Responses per status code, all runs. */
  statusCodes: Record<string, number>;
  /** Failures grouped by cause, all runs. */
  errors: Record<string, number>;
  /** With many requests (`--urls-file`): each line over every run, in the file's order. */
  perUrl?: PerUrlResult[];
}

/** One URL at one concurrency level, run `runs.length` times. */
export interface BenchCell {
  /** Optional name of what was measured (the lab's target, e.g. "async"); compare pairs by it. */
  name?: string;
  /** The URL loaded. */
  url: string;
  /** Connections at once. */
  concurrency: number;
  /** Engine that made the requests. */
  engine: "fetch" | "raw";
  /** Why that engine ("auto: an HTTP/1.1 http target, which raw serves fastest"). */
  engineReason?: string;
  /** Requests sent before the first run and not counted. */
  warmup: number;
  /** ISO 8601 time the cell started (warm-up included). */
  startedAt: string;
  /** ISO 8601 time the cell ended. */
  endedAt: string;
  /** Where it ran. */
  environment: BenchEnvironment;
  /** The client's CPU over the cell's runs: the busiest run, saturated when any run was. */
  client: ClientUsage;
  /** Stopped early (Ctrl-C): the runs are those that finished. */
  interrupted: boolean;
  /** Each repeat's figures, in the order run. */
  runs: BenchRun[];
  /** The runs taken together. */
  summary: BenchSummary;
  /** With `--shard I/N`: which shard this is, and the whole run it is a share of. */
  shard?: ShardInfo;
  /** From `bench merge`: what was added into this cell. */
  merged?: MergeInfo;
}

/** What `bench merge` added into a cell. */
export interface MergeInfo {
  /** Cells added (one per file). */
  cells: number;
  /** The shard indexes among them, ascending (empty when none was a shard). */
  shards: number[];
  /** Their URLs, each once, in file order. */
  urls: string[];
}
