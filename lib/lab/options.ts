/**
 * The lab's options: what `runLab()` takes, its defaults, the routes and request counts they
 * imply, and the checks that reject settings no lab can run with.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { BENCH_WORKER_URL } from "../bench/threads.ts";
import type { AnchorName } from "./_anchors.ts";

/** The page every model serves in the lab. */
export const PAGE = "/page.html";

/**
 * CPU-milliseconds of work per CPU-route run: its request count is this over `workMs` (at most
 * -n), so 5 ms of work per request makes 200-request runs and the lab stays near a minute.
 */
const CPU_ROUTE_BUDGET_MS = 1000;

/** Options of {@link runLab}; every one has the lab's default. */
export interface LabOptions {
  /** Address every server listens on. @default {"127.0.0.1"} */
  host?: string;
  /** Requests per run (ab's -n). @default {1000} */
  requests?: number;
  /** Runs per cell; targets take turns in a rotating order. @default {3} */
  repeat?: number;
  /** Untimed requests each target gets on each route before its first run. @default {100} */
  warmup?: number;
  /**
   * References measured beside netlab: "auto" (every one installed), "none", or a list of
   * "nginx" and "haproxy" (each must be installed). @default {"auto"}
   */
  anchors?: "auto" | "none" | AnchorName[];
  /** Concurrency levels to run, in order. @default {[1, 5, 10, 20, 50, 100]} */
  concurrencyLevels?: number[];
  /** Reuse connections (ab's -k). @default {false} */
  keepAlive?: boolean;
  /** Worker pool size. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** Also measure the CPU-bound route `/_netlab/work?ms=N`. @default {false} */
  demoRoutes?: boolean;
  /** CPU milliseconds per request on the CPU-bound route. @default {5} */
  workMs?: number;
  /** Ports of the async servers behind the balancer (0 = any free port). @default {[9002, 9003, 9004, 9005]} */
  backendPorts?: number[];
  /** Port of the balancer. @default {44444} */
  balancerPort?: number;
  /** What the balancer balances: connections (`tcp`) or each request (`http`). @default {"tcp"} */
  balancerMode?: "tcp" | "http";
  /** Port of the standalone async server. @default {45000} */
  asyncPort?: number;
  /** Port of the worker pool. @default {46000} */
  poolPort?: number;
  /** Port of the balancer's stats endpoint (0 = any free port). @default {0} */
  statsPort?: number;
  /** The bench engine: "raw" counts bytes on the wire as ab does; "fetch" uses Deno's fetch. @default {"raw"} */
  engine?: "fetch" | "raw";
  /**
   * Module the bench's worker threads start from (the fetch engine runs on two): netlab's entry
   * module, which a bundle or compiled binary must pass since it has no lib/bench/bench_worker.ts.
   * @default {lib/bench/bench_worker.ts}
   */
  benchWorkerUrl?: string | URL;
}

/** The lab's defaults, filled in. */
export function labSettings(options: LabOptions = {}): Required<LabOptions> {
  return {
    host: options.host ?? "127.0.0.1",
    requests: options.requests ?? 1000,
    repeat: options.repeat ?? 3,
    warmup: options.warmup ?? 100,
    anchors: options.anchors ?? "auto",
    concurrencyLevels: options.concurrencyLevels ?? [1, 5, 10, 20, 50, 100],
    keepAlive: options.keepAlive ?? false,
    workers: options.workers ?? navigator.hardwareConcurrency,
    demoRoutes: options.demoRoutes ?? false,
    workMs: options.workMs ?? 5,
    backendPorts: options.backendPorts ?? [9002, 9003, 9004, 9005],
    balancerPort: options.balancerPort ?? 44444,
    balancerMode: options.balancerMode ?? "tcp",
    asyncPort: options.asyncPort ?? 45000,
    poolPort: options.poolPort ?? 46000,
    statsPort: options.statsPort ?? 0,
    engine: options.engine ?? "raw",
    benchWorkerUrl: options.benchWorkerUrl ?? BENCH_WORKER_URL,
  };
}

/** The routes a lab measures, in order: page.html, then the CPU-bound route with `demoRoutes`. */
export function labRoutes(o: Pick<Required<LabOptions>, "demoRoutes" | "workMs">): string[] {
  return [PAGE, ...(o.demoRoutes ? [`/_netlab/work?ms=${o.workMs}`] : [])];
}

/** Requests per run on `route`: -n on page.html, fewer on the CPU route (see CPU_ROUTE_BUDGET_MS). */
export function routeRequests(
  o: Pick<Required<LabOptions>, "requests" | "workMs" | "concurrencyLevels">,
  route: string,
): number {
  if (route === PAGE || o.workMs === 0) return o.requests;
  const floor = Math.max(...o.concurrencyLevels);
  return Math.min(o.requests, Math.max(floor, Math.ceil(CPU_ROUTE_BUDGET_MS / o.workMs)));
}

/** Throws a {@link UsageError} for settings no lab can run with. */
export function validateLabSettings(o: Required<LabOptions>): void {
  if (!Number.isSafeInteger(o.requests) || o.requests < 1) {
    throw new UsageError(`-n must be a positive integer, not ${o.requests}`);
  }
  if (!Number.isSafeInteger(o.repeat) || o.repeat < 1) {
    throw new UsageError(`--repeat must be a positive integer, not ${o.repeat}`);
  }
  if (!Number.isSafeInteger(o.warmup) || o.warmup < 0) {
    throw new UsageError(`--warmup must be 0 or a positive integer, not ${o.warmup}`);
  }
  if (o.concurrencyLevels.length === 0) throw new UsageError("Give at least one concurrency level");
  const tooHigh = o.concurrencyLevels.find((c) => !(c >= 1 && c <= o.requests));
  if (tooHigh !== undefined) {
    throw new UsageError(`Concurrency level ${tooHigh} is not from 1 to -n ${o.requests}`);
  }
  if (o.backendPorts.length === 0) throw new UsageError("The balancer needs at least one backend");
  if (!(o.workers >= 1)) {
    throw new UsageError(`The pool needs at least one worker, not ${o.workers}`);
  }
}
