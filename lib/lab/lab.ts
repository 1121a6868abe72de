/**
 * The lab in one call: start four async servers, a balancer in front of them, a standalone async
 * server and a worker pool (each its own process), and the installed references (nginx, HAProxy);
 * warm each target up, run the bench matrix `repeat` times with the targets taking turns, count
 * the balancer's connections per backend, and stop everything again. Ctrl-C or a server that dies
 * ends the runs early; what finished is returned, marked interrupted.
 *
 * @module
 */
import { NetlabError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { bench } from "../bench/run.ts";
import { defaultRoot } from "../runtime/assets.ts";
import { chooseAnchors, startAnchors } from "./_anchors.ts";
import {
  type LabOptions,
  labRoutes,
  labSettings,
  PAGE,
  routeRequests,
  validateLabSettings,
} from "./options.ts";
import { readBalancerStats } from "./_connections.ts";
import { planRuns } from "./_plan.ts";
import { choosePorts, type PortNeed } from "./_ports.ts";
import { balancerSpec, type LabPorts, serverSpecs } from "./_specs.ts";
import { formatAddress } from "../runtime/address.ts";
import { defaultDispatch } from "../server/pool_options.ts";
import { emptyCell, timedRun } from "./_summary.ts";
import { environmentNow, loadAverage } from "../bench/environment.ts";
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
export {
  type LabOptions,
  labRoutes,
  labSettings,
  routeRequests,
  validateLabSettings,
} from "./options.ts";

/** What {@link runLab} reports as it goes. */
export type LabProgress =
  | { kind: "ready"; servers: LabServer[] }
  | { kind: "run"; index: number; total: number; cell: LabCell; run: BenchRun }
  /** Ctrl-C or a dead server ended the runs early; `reason` says which. */
  | { kind: "interrupted"; reason: string }
  | { kind: "stopped" }
  /** A port is held by closed connections in TIME-WAIT; the lab waits for the kernel to free it. */
  | { kind: "waiting"; port: number }
  /** A default port was busy: the server took a free one instead (`address`). */
  | { kind: "moved"; server: string; flag: string; wanted: number; address: string };

/** How to stop a lab early and where to hear about it. */
export interface LabHooks {
  /** Aborting stops the runs and every server; the runs that finished are kept. */
  signal?: AbortSignal;
  /** Called after each step. */
  onProgress?: (event: LabProgress) => void;
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
 *   anchors: "none",
 * }, { onProgress: (e) => e.kind === "run" && console.log(e.index, e.total) });
 * console.log(renderLabMarkdown(result));
 * await writeLabReport(result, "lab-report/mine");
 * ```
 */
export async function runLab(options: LabOptions = {}, hooks: LabHooks = {}): Promise<LabResult> {
  const o = labSettings(options);
  validateLabSettings(o);
  const { signal } = hooks;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadAverage();
  const anchorChoice = chooseAnchors(o.anchors);
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

  const cells = new Map<string, LabCell>();
  let servers: LabServer[] = [];
  let connections: BackendConnections[] = [];
  let interrupted: string | null = null;
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
    await using anchors = await startAnchors({
      host: o.host,
      workers: o.workers,
      // Only nginx reads it (a bundle writes its www/ out the first time it is asked for).
      root: anchorChoice.run.some((a) => a.name === "nginx") ? await defaultRoot() : "",
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
        base: `http://${formatAddress(c!.host, c!.port)}`,
        assertRunning: () => group.assertRunning(),
      })),
      ...anchors.processes.map((p) => ({
        model: p.model,
        reference: true,
        base: `http://${formatAddress(p.host, p.port)}`,
        assertRunning: () => p.assertRunning(),
      })),
    ].sort((a, b) => MODEL_ORDER.indexOf(a.model) - MODEL_ORDER.indexOf(b.model));
    servers = [
      ...group.children.map((c) => ({
        name: c.name,
        role: own.find(([, t]) => t === c)?.[0] ?? "backend" as const,
        address: formatAddress(c.host, c.port),
        pid: c.pid,
      })),
      ...anchors.processes.map((p) => ({
        name: p.name,
        role: p.model,
        address: formatAddress(p.host, p.port),
        pid: p.pid,
      })),
    ];
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
    // nginx has no CPU route; HAProxy has, through the same backends as netlab's balancer.
    const targetsOf = (route: string) =>
      targets.filter((t) => route === PAGE || (t.model !== "nginx" && t.model !== "nginx-pool"));
    // Cells in report order, filled as their runs finish.
    for (const route of routes) {
      for (const t of targetsOf(route)) {
        for (const concurrency of o.concurrencyLevels) {
          const cell = emptyCell({ ...t, route, concurrency, engine: o.engine, warmup: o.warmup });
          cells.set(`${route} ${t.model} ${concurrency}`, cell);
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
      if (signal?.aborted) interrupted = "stopped by Ctrl-C or a stop signal";
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
    ...(o.balancerMode === "http" ? { balancerMode: "http" as const } : {}),
  };
  return {
    version: VERSION,
    startedAt,
    durationMs: performance.now() - started,
    interrupted,
    settings,
    environment: {
      ...environmentNow(loadStart, loadAverage()),
      // The lab starts the pool without --dispatch, so it runs the platform's default.
      poolDispatch: defaultDispatch(),
      benchThreads: done[0]?.runs[0]?.threads ?? 0,
    },
    anchors: anchorChoice.statuses,
    servers,
    cells: done,
    connections,
  };
}
