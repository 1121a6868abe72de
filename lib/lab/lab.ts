/**
 * The lab in one call: start four async servers, a balancer in front of them, a standalone async
 * server and a worker pool (each its own process), run the bench matrix against async, pool and
 * balancer, count the balancer's connections per backend, and stop everything again.
 *
 * @module
 */
import { NetlabError, UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { readBalancerStats } from "./_connections.ts";
import { bench } from "../bench/run.ts";
import { BENCH_WORKER_URL } from "../bench/threads.ts";
import { choosePorts, type PortNeed } from "./_ports.ts";
import { balancerSpec, type LabPorts, serverSpecs } from "./_specs.ts";
import { formatAddress } from "../runtime/address.ts";
import { ChildGroup, type LabChild } from "./children.ts";
import type {
  BackendConnections,
  LabModel,
  LabResult,
  LabRun,
  LabServer,
  LabSettings,
} from "./types.ts";

/** The page every model serves in the lab. */
const PAGE = "/page.html";

/** Requests each target gets, untimed, before its first measured run. */
const WARMUP_REQUESTS = 20;

/** Options of {@link runLab}; every one has the lab's default. */
export interface LabOptions {
  /** Address every server listens on. @default {"127.0.0.1"} */
  host?: string;
  /** Requests per run (ab's -n). @default {1000} */
  requests?: number;
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

/** What {@link runLab} reports as it goes. */
export type LabProgress =
  | { kind: "ready"; servers: LabServer[] }
  | { kind: "run"; index: number; total: number; run: LabRun }
  | { kind: "stopped" }
  /** A port is held by closed connections in TIME-WAIT; the lab waits for the kernel to free it. */
  | { kind: "waiting"; port: number }
  /** A default port was busy: the server took a free one instead (`address`). */
  | { kind: "moved"; server: string; flag: string; wanted: number; address: string };

/** How to stop a lab early and where to hear about it. */
export interface LabHooks {
  /** Aborting stops the runs and every server. */
  signal?: AbortSignal;
  /** Called after each step. */
  onProgress?: (event: LabProgress) => void;
}

/** The lab's defaults, filled in. */
export function labSettings(options: LabOptions = {}): Required<LabOptions> {
  return {
    host: options.host ?? "127.0.0.1",
    requests: options.requests ?? 1000,
    concurrencyLevels: options.concurrencyLevels ?? [1, 5, 10, 20, 50, 100],
    keepAlive: options.keepAlive ?? false,
    workers: options.workers ?? navigator.hardwareConcurrency,
    demoRoutes: options.demoRoutes ?? false,
    workMs: options.workMs ?? 5,
    backendPorts: options.backendPorts ?? [9002, 9003, 9004, 9005],
    balancerPort: options.balancerPort ?? 44444,
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

/** Throws a {@link UsageError} for settings no lab can run with. */
export function validateLabSettings(o: Required<LabOptions>): void {
  if (!Number.isSafeInteger(o.requests) || o.requests < 1) {
    throw new UsageError(`-n must be a positive integer, not ${o.requests}`);
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

/**
 * Runs the whole lab and returns its result; every child process is stopped before it returns or
 * throws.
 *
 * @param options ports, requests, concurrency levels (see {@link LabOptions})
 * @param hooks an AbortSignal and a progress callback
 * @returns the lab's result, ready for the renderers
 *
 * @example A quick lab on free ports
 * ```ts ignore
 * import { renderLabMarkdown, runLab, writeLabReport } from "@netlab/netlab/lab";
 *
 * const result = await runLab({
 *   requests: 200,
 *   concurrencyLevels: [1, 10],
 *   backendPorts: [0, 0, 0, 0],
 *   balancerPort: 0,
 *   asyncPort: 0,
 *   poolPort: 0,
 * }, { onProgress: (e) => e.kind === "run" && console.log(e.index, e.total) });
 * console.log(renderLabMarkdown(result));
 * await writeLabReport(result, "lab-report");
 * ```
 */
export async function runLab(options: LabOptions = {}, hooks: LabHooks = {}): Promise<LabResult> {
  const o = labSettings(options);
  validateLabSettings(o);
  const { signal } = hooks;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const needs: PortNeed[] = [
    ...o.backendPorts.map((port, i) => ({
      port,
      what: `async server ${i + 1}`,
      flag: "--backend-ports",
      given: options.backendPorts !== undefined,
    })),
    {
      port: o.balancerPort,
      what: "balancer",
      flag: "--balancer-port",
      given: options.balancerPort !== undefined,
    },
    {
      port: o.asyncPort,
      what: "async server",
      flag: "--async-port",
      given: options.asyncPort !== undefined,
    },
    {
      port: o.poolPort,
      what: "worker pool",
      flag: "--pool-port",
      given: options.poolPort !== undefined,
    },
    { port: o.statsPort, what: "balancer's stats endpoint", flag: "--stats-port" },
  ];
  const chosen = await choosePorts(o.host, needs, {
    signal,
    onWait: (port) => hooks.onProgress?.({ kind: "waiting", port }),
  });
  const backendCount = o.backendPorts.length;
  const ports: LabPorts = {
    backendPorts: chosen.slice(0, backendCount),
    balancerPort: chosen[backendCount]!,
    asyncPort: chosen[backendCount + 1]!,
    poolPort: chosen[backendCount + 2]!,
    statsPort: chosen[backendCount + 3]!,
  };

  const runs: LabRun[] = [];
  let servers: LabServer[] = [];
  let connections: BackendConnections[] = [];
  {
    await using group = new ChildGroup();
    const specs = serverSpecs(o, ports);
    const [asyncServer, pool, ...backends] = await group.startAll(
      [specs.async, specs.pool, ...specs.backends],
      signal,
    );
    const balancer = await group.start(
      balancerSpec(o, ports, backends.map((b) => formatAddress(b.host, b.port))),
      signal,
    );
    const statsUrl = `http://${formatAddress(balancer.host, balancer.bound.statsPort!)}/stats`;
    const targets: [LabModel, LabChild][] = [
      ["async", asyncServer!],
      ["pool", pool!],
      ["balancer", balancer],
    ];
    servers = group.children.map((c) => ({
      name: c.name,
      role: targets.find(([, t]) => t === c)?.[0] ?? "backend",
      address: formatAddress(c.host, c.port),
      pid: c.pid,
    }));
    // the same order as `needs`, whose last entry (the stats endpoint) is no server of its own
    const inNeedsOrder = [...backends, balancer, asyncServer!, pool!];
    needs.slice(0, -1).forEach((need, i) => {
      const child = inNeedsOrder[i]!;
      if (chosen[i] === 0 && need.port !== 0) {
        hooks.onProgress?.({
          kind: "moved",
          server: child.name,
          flag: need.flag,
          wanted: need.port,
          address: formatAddress(child.host, child.port),
        });
      }
    });
    hooks.onProgress?.({ kind: "ready", servers });

    const control = signal ? { signal } : {};
    const routes = labRoutes(o);
    const total = targets.length * routes.length * o.concurrencyLevels.length;
    for (const route of routes) {
      for (const [model, child] of targets) {
        const url = `http://${formatAddress(child.host, child.port)}${route}`;
        // Untimed warm-up: the first requests pay for JIT and caches, which is not what is compared.
        await bench({
          url,
          requests: WARMUP_REQUESTS,
          concurrency: 2,
          keepAlive: o.keepAlive,
          engine: o.engine,
          workerUrl: o.benchWorkerUrl,
        }, control);
        for (const concurrency of o.concurrencyLevels) {
          signal?.throwIfAborted();
          const result = await bench({
            url,
            requests: o.requests,
            concurrency,
            keepAlive: o.keepAlive,
            engine: o.engine,
            workerUrl: o.benchWorkerUrl,
            // The CPU route answers how long it spun, so its length varies by design (ab -l).
            variableLength: route !== PAGE,
          }, control);
          // bench() returns what it did when aborted; the lab stops instead of reporting half a run.
          signal?.throwIfAborted();
          // A server that died makes the rest of the table meaningless: say which one, and why.
          group.assertRunning();
          const run: LabRun = { model, route, result };
          runs.push(run);
          hooks.onProgress?.({ kind: "run", index: runs.length, total, run });
        }
      }
    }
    connections = await readBalancerStats(statsUrl, signal);
  }
  hooks.onProgress?.({ kind: "stopped" });
  if (runs.length === 0) throw new NetlabError("The lab ran nothing");
  const settings: LabSettings = {
    requests: o.requests,
    concurrencyLevels: o.concurrencyLevels,
    keepAlive: o.keepAlive,
    workers: o.workers,
    demoRoutes: o.demoRoutes,
    workMs: o.workMs,
    engine: o.engine,
  };
  return {
    version: VERSION,
    startedAt,
    durationMs: performance.now() - started,
    settings,
    environment: {
      os: Deno.build.os,
      cpus: navigator.hardwareConcurrency,
      deno: Deno.version.deno,
    },
    servers,
    runs,
    connections,
  };
}
