/**
 * A run's static facts (what it aimed at, how, and what its engine can see), and the part of the
 * result they make: the recorder's counters know none of it.
 *
 * @module
 */
import type { LineInfo } from "./_per_line.ts";
import type { BenchResult } from "./result.ts";

/** Static facts about a run that the counters do not know. */
export interface RunInfo {
  url: URL;
  method: string;
  engine: "fetch" | "raw";
  /** Why this engine ran ("auto: ..."). */
  engineReason?: string;
  concurrency: number;
  threads: number;
  keepAlive: boolean;
  rate: number | null;
  /** Bytes sent per request, counted as ab's "Total body sent" (0: none to count). */
  sentBytes: number;
  variableLength: boolean;
  exactWireBytes: boolean;
  connectTimes: boolean;
  /** Many requests: each line, counted apart (`perUrl`). */
  lines?: LineInfo[] | null;
}

/** What the run aimed at and how, from its static facts. */
export function targetOf(info: RunInfo): Pick<
  BenchResult,
  | "url"
  | "hostname"
  | "port"
  | "path"
  | "method"
  | "engine"
  | "engineReason"
  | "concurrency"
  | "threads"
  | "keepAliveRequested"
  | "rate"
> {
  const u = info.url;
  return {
    url: u.href,
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port) || (u.protocol === "https:" ? 443 : 80),
    path: `${u.pathname}${u.search}`,
    method: info.method,
    engine: info.engine,
    ...(info.engineReason !== undefined ? { engineReason: info.engineReason } : {}),
    concurrency: info.concurrency,
    threads: info.threads,
    keepAliveRequested: info.keepAlive,
    rate: info.rate,
  };
}
