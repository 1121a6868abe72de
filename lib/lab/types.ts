/**
 * The lab's result: plain data, written as results.json and read by every renderer. Its `cells`
 * have the shape of `netlab bench --format json` cells (URL × concurrency, with `runs` and
 * `summary`), plus the lab's `model`, `route` and `reference`, so `netlab bench compare` reads a
 * lab's results.json as it reads bench's.
 *
 * @module
 */
import type { BenchCell, BenchEnvironment } from "../bench/cell.ts";

/** netlab's own models, then the installed references (anchors) measured beside them. */
export type LabModel = "async" | "pool" | "balancer" | AnchorModel;

/** The references: nginx with one worker (beside async), with the pool's worker count, HAProxy. */
export type AnchorModel = "nginx" | "nginx-pool" | "haproxy";

/**
 * One target on one route at one concurrency level, measured `settings.repeat` times: a bench
 * JSON cell (its `name` is the model) plus the lab's own fields.
 */
export interface LabCell extends BenchCell {
  /** Which server answered. The cell's `name` is "model route" ("async /page.html"), which
   * `netlab bench compare` pairs cells by, since ports may differ from one lab to the next. */
  model: LabModel;
  /** True for a reference (nginx, HAProxy) measured beside netlab's models. */
  reference: boolean;
  /** Path that was loaded, e.g. "/page.html". */
  route: string;
}

/** A process the lab started. */
export interface LabServer {
  /** e.g. "async server 1", "balancer", "nginx". */
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

/** A reference the lab knows: whether it ran, and how to get it when it is missing. */
export interface AnchorStatus {
  /** "nginx" or "haproxy". */
  name: "nginx" | "haproxy";
  /** "used", "missing" (not installed) or "off" (not asked for). */
  status: "used" | "missing" | "off";
  /** Its version line, when used. */
  version?: string;
  /** How to install it, e.g. "apt-get install nginx". */
  install: string;
}

/** The settings a lab ran with. */
export interface LabSettings {
  /** Requests per run on page.html. */
  requests: number;
  /** Requests per run on the CPU route (fewer: each costs workMs of CPU). */
  cpuRouteRequests: number;
  /** Runs per cell. */
  repeat: number;
  /** Untimed requests per target before its first run. */
  warmup: number;
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
  /** Set when the balancer balanced each request (`--balancer-mode http`), not connections. */
  balancerMode?: "http";
}

/** Where and on what the lab ran: bench's environment of the whole lab, plus the servers'. */
export interface LabEnvironment extends BenchEnvironment {
  /** How the pool hands out requests ("kernel" or "queue"), as it said when ready. */
  poolDispatch: string | null;
  /** Bench threads per run (the engine's default; 0 when nothing ran). */
  benchThreads: number;
}

/** Everything one lab produced; what results.json holds. */
export interface LabResult {
  /** netlab version. */
  version: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** Wall-clock time of the whole lab, ms (start-up, runs and shutdown). */
  durationMs: number;
  /** Why the lab stopped early (Ctrl-C, a server that died), or null when it ran to the end. */
  interrupted: string | null;
  /** What it ran with. */
  settings: LabSettings;
  /** Where it ran. */
  environment: LabEnvironment;
  /** The references and whether they ran. */
  anchors: AnchorStatus[];
  /** The processes it started. */
  servers: LabServer[];
  /** Every cell with at least one finished run, in route, target and concurrency order. */
  cells: LabCell[];
  /** Connections per backend as the balancer counted them. */
  connections: BackendConnections[];
}

/** Human titles for the models, used by every renderer. */
export const MODEL_TITLES: Readonly<Record<LabModel, string>> = {
  async: "Async server (one event loop)",
  pool: "Worker pool",
  balancer: "Balancer in front of the async servers",
  nginx: "nginx, one worker (reference)",
  "nginx-pool": "nginx, as many workers as the pool (reference)",
  haproxy: "HAProxy in front of the async servers (reference)",
};

/** Every model in report order: each reference right after what it is a reference for. */
export const MODEL_ORDER: readonly LabModel[] = [
  "async",
  "nginx",
  "pool",
  "nginx-pool",
  "balancer",
  "haproxy",
];
