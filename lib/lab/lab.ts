/**
 * The lab in one call: start four async servers, a balancer in front of them, a standalone async
 * server and a worker pool (each its own process), run the bench matrix against async, pool and
 * balancer, count the balancer's connections per backend, and stop everything again.
 *
 * @module
 */
import { NetlabError } from "../cli/errors.ts";
import { VERSION } from "../version.ts";
import { readBalancerStats } from "./_connections.ts";
import { measure } from "./_bench.ts";
import { checkPortsFree, freePort } from "./_ports.ts";
import { ChildGroup, type ChildSpec, type LabChild } from "./children.ts";
import type { LabModel, LabResult, LabRun, LabServer, LabSettings } from "./types.ts";

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
}

/** What {@link runLab} reports as it goes. */
export type LabProgress =
  | { kind: "ready"; servers: LabServer[] }
  | { kind: "run"; index: number; total: number; run: LabRun }
  | { kind: "stopped" };

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
  };
}

const isListening = (line: string) => line.includes("listening on");
const isPoolReady = (line: string) => /\bready\b/.test(line);

function serverArgs(command: string, host: string, port: number, demo: boolean): string[] {
  return [
    command,
    "--host",
    host,
    "--port",
    String(port),
    "--quiet",
    ...(demo ? ["--demo-routes"] : []),
  ];
}

function address(child: LabChild): string {
  const host = child.host.includes(":") ? `[${child.host}]` : child.host;
  return `${host}:${child.port}`;
}

/**
 * Runs the whole lab and returns its result; every child process is stopped before it returns or
 * throws.
 *
 * @param options ports, requests, concurrency levels (see {@link LabOptions})
 * @param hooks an AbortSignal and a progress callback
 * @returns the lab's result, ready for the renderers
 */
export async function runLab(options: LabOptions = {}, hooks: LabHooks = {}): Promise<LabResult> {
  const o = labSettings(options);
  const { signal } = hooks;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  checkPortsFree(o.host, [
    ...o.backendPorts.map((port, i) => ({
      port,
      what: `async server ${i + 1}`,
      flag: "--backend-ports",
    })),
    { port: o.balancerPort, what: "balancer", flag: "--balancer-port" },
    { port: o.asyncPort, what: "async server", flag: "--async-port" },
    { port: o.poolPort, what: "worker pool", flag: "--pool-port" },
    { port: o.statsPort, what: "balancer's stats endpoint", flag: "--stats-port" },
  ]);

  const runs: LabRun[] = [];
  let servers: LabServer[] = [];
  let connections: LabResult["connections"] = [];
  {
    await using group = new ChildGroup();
    const backendSpecs: ChildSpec[] = o.backendPorts.map((port, i) => ({
      name: `async server ${i + 1}`,
      args: serverArgs("serve", o.host, port, o.demoRoutes),
      isReady: isListening,
      hint: "change it with --backend-ports",
    }));
    const asyncSpec: ChildSpec = {
      name: "async server",
      args: serverArgs("serve", o.host, o.asyncPort, o.demoRoutes),
      isReady: isListening,
      hint: "change it with --async-port",
    };
    const poolSpec: ChildSpec = {
      name: "worker pool",
      args: [
        ...serverArgs("pool", o.host, o.poolPort, o.demoRoutes),
        "--workers",
        String(o.workers),
      ],
      isReady: isPoolReady,
      hint: "change it with --pool-port",
    };
    const [asyncServer, pool, ...backends] = await group.startAll(
      [asyncSpec, poolSpec, ...backendSpecs],
      signal,
    );
    const statsPort = o.statsPort || freePort(o.host);
    const balancerSpec: ChildSpec = {
      name: "balancer",
      args: [
        "balance",
        "--host",
        o.host,
        "--port",
        String(o.balancerPort),
        "--quiet",
        "--stats-port",
        String(statsPort),
        ...backends.flatMap((b) => ["--backend", address(b)]),
      ],
      isReady: isListening,
      hint: "change it with --balancer-port",
    };
    const balancer = await group.start(balancerSpec, signal);

    const role = (c: LabChild): LabServer["role"] =>
      c === asyncServer ? "async" : c === pool ? "pool" : c === balancer ? "balancer" : "backend";
    servers = group.children.map((c) => ({
      name: c.name,
      role: role(c),
      address: address(c),
      pid: c.pid,
    }));
    hooks.onProgress?.({ kind: "ready", servers });

    const targets: [LabModel, LabChild][] = [["async", asyncServer!], ["pool", pool!], [
      "balancer",
      balancer,
    ]];
    const routes = ["/page.html", ...(o.demoRoutes ? [`/_netlab/work?ms=${o.workMs}`] : [])];
    const total = targets.length * routes.length * o.concurrencyLevels.length;
    for (const route of routes) {
      for (const [model, child] of targets) {
        const url = `http://${address(child)}${route}`;
        for (const concurrency of o.concurrencyLevels) {
          const run = await measure(model, route, url, {
            requests: o.requests,
            concurrency,
            keepAlive: o.keepAlive,
            signal,
          });
          runs.push(run);
          hooks.onProgress?.({ kind: "run", index: runs.length, total, run });
        }
      }
    }
    const statsHost = o.host.includes(":") ? `[${o.host}]` : o.host;
    connections = await readBalancerStats(`http://${statsHost}:${statsPort}/stats`, signal);
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
