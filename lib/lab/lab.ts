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
import { defaultRoot } from "../runtime/assets.ts";
import { chooseAnchors, startAnchors } from "./_anchors.ts";
import type { AnchorProcess } from "./_anchor_process.ts";
import {
  type LabOptions,
  labRoutes,
  labSettings,
  routeRequests,
  validateLabSettings,
} from "./options.ts";
import { type Matrix, runMatrix, type Target } from "./_matrix.ts";
import { readBalancerStats } from "./_connections.ts";
import { choosePorts, type PortNeed } from "./_ports.ts";
import { balancerSpec, type LabPorts, serverSpecs } from "./_specs.ts";
import { formatAddress } from "../runtime/address.ts";
import { defaultDispatch } from "../server/pool_options.ts";
import { environmentNow, loadAverage } from "../bench/environment.ts";
import { cellClient, summarize } from "../bench/summary.ts";
import { ChildGroup, type LabChild } from "./children.ts";
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
  const began = { at: new Date().toISOString(), ms: performance.now(), load: loadAverage() };
  const anchorChoice = chooseAnchors(o.anchors);
  const needs = portNeeds(o, options);
  const chosen = await choosePorts(o.host, needs, {
    signal,
    onWait: (port) => hooks.onProgress?.({ kind: "waiting", port }),
  });
  const ports = labPorts(chosen, o.backendPorts.length);
  let matrix: Matrix;
  let servers: LabServer[];
  let connections: BackendConnections[];
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
    const own: Own = [["async", asyncServer!], ["pool", pool!], ["balancer", balancer]];
    servers = labServers(group, own, anchors.processes);
    // the same order as `needs`, whose last entry (the stats endpoint) is no server of its own
    reportMoved(needs, chosen, [...backends, balancer, asyncServer!, pool!], hooks);
    hooks.onProgress?.({ kind: "ready", servers });
    matrix = await runMatrix(o, labTargets(group, own, anchors.processes), {
      signal,
      assertOwnRunning: () => group.assertRunning(),
      onRun: (index, total, cell, run) =>
        hooks.onProgress?.({ kind: "run", index, total, cell, run }),
      onInterrupted: (reason) => hooks.onProgress?.({ kind: "interrupted", reason }),
    });
    connections = await readBalancerStats(statsUrl).catch((err) => {
      // After an interruption the balancer may be the server that died.
      if (matrix.interrupted !== null) return [];
      throw err;
    });
  }
  hooks.onProgress?.({ kind: "stopped" });
  return labResult(o, began, anchorChoice.statuses, { matrix, servers, connections });
}

/** netlab's own servers the runs load, by model. */
type Own = [LabModel, LabChild][];

/** The ports the lab listens on, in the order {@link labPorts} reads them back. */
function portNeeds(o: Required<LabOptions>, given: LabOptions): PortNeed[] {
  // a port given on the command line must be had; a default one gives way to a free one
  type Key = "backendPorts" | "balancerPort" | "asyncPort" | "poolPort";
  const need = (port: number, key: Key, what: string, flag: string): PortNeed => ({
    port,
    what,
    flag,
    given: given[key] !== undefined,
  });
  return [
    ...o.backendPorts.map((p, i) =>
      need(p, "backendPorts", `async server ${i + 1}`, "--backend-ports")
    ),
    need(o.balancerPort, "balancerPort", "balancer", "--balancer-port"),
    need(o.asyncPort, "asyncPort", "async server", "--async-port"),
    need(o.poolPort, "poolPort", "worker pool", "--pool-port"),
    { port: o.statsPort, what: "balancer's stats endpoint", flag: "--stats-port" },
  ];
}

function labPorts(chosen: number[], backendCount: number): LabPorts {
  return {
    backendPorts: chosen.slice(0, backendCount),
    balancerPort: chosen[backendCount]!,
    asyncPort: chosen[backendCount + 1]!,
    poolPort: chosen[backendCount + 2]!,
    statsPort: chosen[backendCount + 3]!,
  };
}

function labTargets(group: ChildGroup, own: Own, anchors: readonly AnchorProcess[]): Target[] {
  return [
    ...own.map(([model, c]) => ({
      model,
      reference: false,
      base: `http://${formatAddress(c.host, c.port)}`,
      assertRunning: () => group.assertRunning(),
    })),
    ...anchors.map((p) => ({
      model: p.model,
      reference: true,
      base: `http://${formatAddress(p.host, p.port)}`,
      assertRunning: () => p.assertRunning(),
    })),
  ].sort((a, b) => MODEL_ORDER.indexOf(a.model) - MODEL_ORDER.indexOf(b.model));
}

function labServers(group: ChildGroup, own: Own, anchors: readonly AnchorProcess[]): LabServer[] {
  return [
    ...group.children.map((c) => ({
      name: c.name,
      role: own.find(([, t]) => t === c)?.[0] ?? "backend" as const,
      address: formatAddress(c.host, c.port),
      pid: c.pid,
    })),
    ...anchors.map((p) => ({
      name: p.name,
      role: p.model,
      address: formatAddress(p.host, p.port),
      pid: p.pid,
    })),
  ];
}

/** Says which servers took another port than the default they asked for. */
function reportMoved(
  needs: PortNeed[],
  chosen: number[],
  inNeedsOrder: LabChild[],
  hooks: LabHooks,
): void {
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
}

function labResult(
  o: Required<LabOptions>,
  began: { at: string; ms: number; load: number[] },
  anchors: LabResult["anchors"],
  found: { matrix: Matrix; servers: LabServer[]; connections: BackendConnections[] },
): LabResult {
  const { interrupted } = found.matrix;
  const done = [...found.matrix.cells.values()].filter((c) => c.runs.length > 0);
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
    startedAt: began.at,
    durationMs: performance.now() - began.ms,
    interrupted,
    settings,
    environment: {
      ...environmentNow(began.load, loadAverage()),
      // The lab starts the pool without --dispatch, so it runs the platform's default.
      poolDispatch: defaultDispatch(),
      benchThreads: done[0]?.runs[0]?.threads ?? 0,
    },
    anchors,
    servers: found.servers,
    cells: done,
    connections: found.connections,
  };
}
