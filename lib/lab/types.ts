/**
 * The lab's result: plain data, written as results.json and read by every renderer.
 *
 * @module
 */
import type { BenchResult } from "../bench/result.ts";

/** The concurrency models the lab compares. */
export type LabModel = "async" | "pool" | "balancer";

/** One bench run of the matrix: one model, one route, one concurrency level. */
export interface LabRun {
  /** Which server answered. */
  model: LabModel;
  /** Path that was loaded, e.g. "/page.html". */
  route: string;
  /** What `bench()` measured (URL, concurrency, counts, timings, percentiles). */
  result: BenchResult;
}

/** A server process the lab started. */
export interface LabServer {
  /** e.g. "async server 1", "balancer". */
  name: string;
  /** Its role in the lab. */
  role: "backend" | LabModel;
  /** Where it listened. */
  address: string;
  /** Its process id (gone once the lab has finished). */
  pid: number;
}

/** How many connections the balancer forwarded to one backend. */
export interface BackendConnections {
  /** "127.0.0.1:9002" */
  backend: string;
  /** Connections forwarded to it during the lab. */
  connections: number;
}

/** The settings a lab ran with. */
export interface LabSettings {
  /** Requests per run. */
  requests: number;
  /** Concurrency levels, in order. */
  concurrencyLevels: number[];
  /** HTTP keep-alive (ab's -k). */
  keepAlive: boolean;
  /** Worker pool size. */
  workers: number;
  /** Whether the CPU-bound route was also measured. */
  demoRoutes: boolean;
  /** Milliseconds of CPU per request on the CPU-bound route. */
  workMs: number;
  /** The bench engine. */
  engine: "fetch" | "raw";
}

/** Everything one lab produced; what results.json holds. */
export interface LabResult {
  /** netlab version. */
  version: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** Wall-clock time of the whole lab, ms (start-up, runs and shutdown). */
  durationMs: number;
  /** What it ran with. */
  settings: LabSettings;
  /** Where it ran. */
  environment: { os: string; cpus: number; deno: string };
  /** The processes it started. */
  servers: LabServer[];
  /** Every bench run, in the order run. */
  runs: LabRun[];
  /** Connections per backend as the balancer counted them. */
  connections: BackendConnections[];
}

/** Human titles for the models, used by every renderer. */
export const MODEL_TITLES: Readonly<Record<LabModel, string>> = {
  async: "Async server (one event loop)",
  pool: "Worker pool",
  balancer: "Balancer in front of the async servers",
};
