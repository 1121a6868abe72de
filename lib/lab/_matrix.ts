/**
 * The lab's bench matrix: one cell per route, target and concurrency, filled by runs planned so
 * the targets take turns, each target's URL warmed up once (untimed) before its first run.
 *
 * @module
 */
import { NetlabError } from "../errors.ts";
import { bench } from "../bench/run.ts";
import { labRoutes, PAGE, routeRequests } from "./options.ts";
import type { LabOptions } from "./options.ts";
import { type PlannedRun, planRuns } from "./_plan.ts";
import { emptyCell, timedRun } from "./_summary.ts";
import { loadAverage } from "../bench/environment.ts";
import type { BenchRun } from "../bench/cell.ts";
import type { LabCell, LabModel } from "./types.ts";

/** A server the runs load: what it is, and where. */
export interface Target {
  model: LabModel;
  reference: boolean;
  base: string;
  assertRunning(): void;
}

/** What the runs left: the cells in report order and, when they stopped early, why. */
export interface Matrix {
  cells: Map<string, LabCell>;
  interrupted: string | null;
}

/** How the matrix reports and stops. */
export interface MatrixHooks {
  signal?: AbortSignal | undefined;
  /** Throws when one of netlab's own servers died (the reference servers are checked apart). */
  assertOwnRunning(): void;
  onRun(index: number, total: number, cell: LabCell, run: BenchRun): void;
  onInterrupted(reason: string): void;
}

const cellKey = (route: string, model: LabModel, concurrency: number) =>
  `${route} ${model} ${concurrency}`;

/**
 * Runs the matrix over `targets`. Ctrl-C (the signal) or a dead server ends it early without
 * throwing: the cells keep the runs that finished and `interrupted` says why.
 */
export async function runMatrix(
  o: Required<LabOptions>,
  targets: readonly Target[],
  hooks: MatrixHooks,
): Promise<Matrix> {
  const routes = labRoutes(o);
  // nginx has no CPU route; HAProxy has, through the same backends as netlab's balancer.
  const targetsOf = (route: string) =>
    targets.filter((t) => route === PAGE || (t.model !== "nginx" && t.model !== "nginx-pool"));
  // Cells in report order, filled as their runs finish.
  const cells = new Map<string, LabCell>();
  for (const route of routes) {
    for (const t of targetsOf(route)) {
      for (const concurrency of o.concurrencyLevels) {
        const cell = emptyCell({ ...t, route, concurrency, engine: o.engine, warmup: o.warmup });
        cells.set(cellKey(route, t.model, concurrency), cell);
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
      const run = await runStep(o, step, warmed, hooks.signal);
      // A run against a server that died measures nothing: stop, say which one, and why.
      step.target.assertRunning();
      hooks.assertOwnRunning();
      const cell = cells.get(cellKey(step.route, step.target.model, step.concurrency))!;
      addRun(cell, run);
      hooks.onRun(++index, plan.length, cell, run);
    }
  } catch (err) {
    let interrupted: string;
    if (hooks.signal?.aborted) interrupted = "stopped by Ctrl-C or a stop signal";
    else if (err instanceof NetlabError) interrupted = err.message;
    else throw err;
    hooks.onInterrupted(interrupted);
    return { cells, interrupted };
  }
  return { cells, interrupted: null };
}

async function runStep(
  o: Required<LabOptions>,
  step: PlannedRun<Target>,
  warmed: Set<string>,
  signal: AbortSignal | undefined,
): Promise<BenchRun> {
  const { route, target, concurrency } = step;
  const control = signal ? { signal } : {};
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
  return run;
}

function addRun(cell: LabCell, run: BenchRun): void {
  cell.runs.push(run);
  if (cell.runs.length === 1) {
    cell.startedAt = run.startedAt;
    cell.environment.loadAverageStart = loadAverage();
  }
  cell.endedAt = run.endedAt;
  cell.environment.loadAverageEnd = loadAverage();
}
