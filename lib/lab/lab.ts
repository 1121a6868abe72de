/**
 * The lab in one call: start four async servers, a balancer in front of them, a standalone async
 * server and a worker pool (each its own process), and the installed references (nginx, HAProxy);
 * warm each target up, run the bench matrix `repeat` times with the targets taking turns, count
 * the balancer's connections per backend, and stop everything again. Ctrl-C or a server that dies
 * ends the runs early; what finished is returned, marked interrupted.
 *
 * @module
 */
import { NetlabError, UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { bench } from "../bench/run.ts";
import { BENCH_WORKER_URL } from "../bench/threads.ts";
import { defaultRoot } from "../runtime/assets.ts";
import { type AnchorName, chooseAnchors, startAnchors } from "./_anchors.ts";
import { readBalancerStats } from "./_connections.ts";
import { planRuns } from "./_plan.ts";
import { checkPortsFree, freePort } from "./_ports.ts";
import { authority, balancerSpec, serverSpecs } from "./_specs.ts";
import { loadAverage, timedRun } from "./_summary.ts";
import { cellClient, summarize } from "../bench/summary.ts";
import { ChildGroup } from "./children.ts";
import type { BenchRun } from "../bench/cell.ts";
import {
  type BackendConnections,
  type LabCell,
  type LabModel,
  type LabResult,
  type LabServer,
  type LabSettings,
  MODEL_ORDER,
} from "./types.ts";

export type { AnchorName } from "./_anchors.ts";

/** The page every model serves in the lab. */
const PAGE = "/page.html";

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
  | { kind: "run"; index: number; total: number; cell: LabCell; run: BenchRun }
  /** Ctrl-C or a dead server ended the runs early; `reason` says which. */
  | { kind: "interrupted"; reason: string }
  | { kind: "stopped" }
  /** A port is held by closed connections in TIME-WAIT; the lab waits for the kernel to free it. */
  | { kind: "waiting"; port: number };

/** How to stop a lab early and where to hear about it. */
export interface LabHooks {
  /** Aborting stops the runs and every server; the runs that finished are kept. */
  signal?: AbortSignal;
  /** Called after each step. */
  onProgress?: (event: LabProgress) => void;
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

/** A server the runs load: what it is, and where. */
interface Target {
  model: LabModel;
  reference: boolean;
  base: string;
  assertRunning(): void;
}

/**
 * Runs the whole lab and returns its result; every child process is stopped before it returns or
 * throws. Ctrl-C (the signal) or a server dying during the runs does not throw: the result holds
 * the runs that finished and says why it stopped in `interrupted`.
 *
 * @param options ports, requests, repeats, concurrency levels, references (see {@link LabOptions})
 * @param hooks an AbortSignal and a progress callback
 * @returns the lab's result, ready for the renderers
 */
export async function runLab(options: LabOptions = {}, hooks: LabHooks = {}): Promise<LabResult> {
  const o = labSettings(options);
  validateLabSettings(o);
  const { signal } = hooks;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadAverage();
  const anchorChoice = chooseAnchors(o.anchors);
  await checkPortsFree(o.host, [
    ...o.backendPorts.map((port, i) => ({
      port,
      what: `async server ${i + 1}`,
      flag: "--backend-ports",
    })),
    { port: o.balancerPort, what: "balancer", flag: "--balancer-port" },
    { port: o.asyncPort, what: "async server", flag: "--async-port" },
    { port: o.poolPort, what: "worker pool", flag: "--pool-port" },
    { port: o.statsPort, what: "balancer's stats endpoint", flag: "--stats-port" },
  ], { signal, onWait: (port) => hooks.onProgress?.({ kind: "waiting", port }) });

  const cells = new Map<string, LabCell>();
  let servers: LabServer[] = [];
  let connections: BackendConnections[] = [];
  let interrupted: string | null = null;
  let poolDispatch: string | null = null;
  {
    await using group = new ChildGroup();
    const specs = serverSpecs(o);
    const [asyncServer, pool, ...backends] = await group.startAll(
      [specs.async, specs.pool, ...specs.backends],
      signal,
    );
    const statsUrl = `http://${authority(o.host, o.statsPort || freePort(o.host))}/stats`;
    const balancer = await group.start(
      balancerSpec(o, backends.map((b) => authority(b.host, b.port)), statsUrl),
      signal,
    );
    poolDispatch = pool!.tail.map((l) => /\((\w+) dispatch\)/.exec(l)?.[1]).find(Boolean) ?? null;
    await using anchors = await startAnchors({
      host: o.host,
      workers: o.workers,
      root: await defaultRoot(),
      backends: backends.map((b) => ({ host: b.host, port: b.port })),
      run: anchorChoice.run,
    }, signal);
    const own: [LabModel, typeof asyncServer][] = [
      ["async", asyncServer],
      ["pool", pool],
      ["balancer", balancer],
    ];
    const targets: Target[] = [
      ...own.map(([model, c]) => ({
        model,
        reference: false,
        base: `http://${authority(c!.host, c!.port)}`,
        assertRunning: () => group.assertRunning(),
      })),
      ...anchors.processes.map((p) => ({
        model: p.model,
        reference: true,
        base: `http://${authority(p.host, p.port)}`,
        assertRunning: () => p.assertRunning(),
      })),
    ].sort((a, b) => MODEL_ORDER.indexOf(a.model) - MODEL_ORDER.indexOf(b.model));
    servers = [
      ...group.children.map((c) => ({
        name: c.name,
        role: own.find(([, t]) => t === c)?.[0] ?? "backend" as const,
        address: authority(c.host, c.port),
        pid: c.pid,
      })),
      ...anchors.processes.map((p) => ({
        name: p.name,
        role: p.model,
        address: authority(p.host, p.port),
        pid: p.pid,
      })),
    ];
    hooks.onProgress?.({ kind: "ready", servers });

    const control = signal ? { signal } : {};
    const routes = labRoutes(o);
    // nginx has no CPU route; HAProxy has, through the same backends as netlab's balancer.
    const targetsOf = (route: string) =>
      targets.filter((t) => route === PAGE || (t.model !== "nginx" && t.model !== "nginx-pool"));
    // Cells in report order, filled as their runs finish.
    for (const route of routes) {
      for (const t of targetsOf(route)) {
        for (const concurrency of o.concurrencyLevels) {
          cells.set(`${route} ${t.model} ${concurrency}`, emptyCell(o, t, route, concurrency));
        }
      }
    }
    const plan = routes.flatMap((route) =>
      planRuns([route], targetsOf(route), o.concurrencyLevels, o.repeat)
    );
    const warmed = new Set<string>();
    let index = 0;
    try {
      for (const step of plan) {
        const { route, target, concurrency } = step;
        const url = target.base + route;
        const options = {
          url,
          keepAlive: o.keepAlive,
          engine: o.engine,
          workerUrl: o.benchWorkerUrl,
          // The CPU route answers how long it spun, so its length varies by design (ab -l).
          variableLength: route !== PAGE,
        };
        if (!warmed.has(url) && o.warmup > 0) {
          // Untimed: the first requests pay for JIT and caches, which is not what is compared.
          warmed.add(url);
          const c = Math.min(4, o.warmup, Math.max(...o.concurrencyLevels));
          await bench({ ...options, requests: o.warmup, concurrency: c }, control);
        }
        signal?.throwIfAborted();
        const run = await timedRun(
          { ...options, requests: routeRequests(o, route), concurrency },
          control,
        );
        // An aborted run is half a run: the lab keeps only those that finished.
        signal?.throwIfAborted();
        // A run against a server that died measures nothing: stop, say which one, and why.
        target.assertRunning();
        group.assertRunning();
        const cell = cells.get(`${route} ${target.model} ${concurrency}`)!;
        cell.runs.push(run);
        if (cell.runs.length === 1) {
          cell.startedAt = run.startedAt;
          cell.environment.loadAverageStart = loadAverage();
        }
        cell.endedAt = run.endedAt;
        cell.environment.loadAverageEnd = loadAverage();
        index++;
        hooks.onProgress?.({ kind: "run", index, total: plan.length, cell, run });
      }
    } catch (err) {
      if (signal?.aborted) interrupted = "interrupted (Ctrl-C or a stop signal)";
      else if (err instanceof NetlabError) interrupted = err.message;
      else throw err;
      hooks.onProgress?.({ kind: "interrupted", reason: interrupted });
    }
    connections = await readBalancerStats(statsUrl).catch((err) => {
      // After an interruption the balancer may be the server that died.
      if (interrupted !== null) return [];
      throw err;
    });
  }
  hooks.onProgress?.({ kind: "stopped" });
  const done = [...cells.values()].filter((c) => c.runs.length > 0);
  if (done.length === 0 && interrupted === null) throw new NetlabError("The lab ran nothing");
  for (const cell of done) {
    cell.summary = summarize(cell.runs);
    cell.client = cellClient(cell.runs);
    cell.interrupted = interrupted !== null;
  }
  const settings: LabSettings = {
    requests: o.requests,
    cpuRouteRequests: routeRequests(o, labRoutes({ demoRoutes: true, workMs: o.workMs })[1]!),
    repeat: o.repeat,
    warmup: o.warmup,
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
    interrupted,
    settings,
    environment: {
      netlab: VERSION,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
      poolDispatch,
      benchThreads: done[0]?.runs[0]?.threads ?? 0,
    },
    anchors: anchorChoice.statuses,
    servers,
    cells: done,
    connections,
  };
}

function emptyCell(
  o: Required<LabOptions>,
  t: Target,
  route: string,
  concurrency: number,
): LabCell {
  const now = new Date().toISOString();
  return {
    name: `${t.model} ${route}`,
    model: t.model,
    reference: t.reference,
    route,
    url: t.base + route,
    concurrency,
    engine: o.engine,
    warmup: o.warmup,
    startedAt: now,
    endedAt: now,
    environment: {
      netlab: VERSION,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
      loadAverageStart: [],
      loadAverageEnd: [],
    },
    client: { cpuPercent: 0, saturated: false },
    interrupted: false,
    runs: [],
    summary: summarize([]),
  };
}
