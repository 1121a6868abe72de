import type { BenchResult } from "../../lib/bench/result.ts";
import type { BenchRun } from "../../lib/bench/cell.ts";
import { cellClient, summarize } from "../../lib/bench/summary.ts";
import type { LabCell, LabModel, LabResult } from "../../lib/lab/types.ts";

const PORTS: Record<LabModel, number> = {
  async: 45000,
  pool: 46000,
  balancer: 44444,
  nginx: 47000,
  "nginx-pool": 47001,
  haproxy: 47002,
};

const ENVIRONMENT = {
  netlab: "0.1.0",
  deno: "2.9.6",
  v8: "14.0",
  os: "linux",
  arch: "x86_64",
  cpus: 2,
  loadAverageStart: [0.5, 0.4, 0.3],
  loadAverageEnd: [0.6, 0.4, 0.3],
};

/** A bench result as `bench()` returns it, with round numbers. */
export function benchResult(
  url: string,
  concurrency: number,
  rps: number,
  p99: number,
  failed = 0,
): BenchResult {
  const requests = 1000;
  const seconds = requests / rps;
  const complete = requests - failed;
  const u = new URL(url);
  const timing = { min: p99 / 10, mean: p99 / 2.5, sd: p99 / 5, median: p99 / 3, max: p99 * 1.5 };
  return {
    url,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname + u.search,
    method: "GET",
    engine: "raw",
    concurrency,
    threads: 1,
    keepAliveRequested: false,
    rate: null,
    serverSoftware: "netlab/0.1.0",
    documentLength: 1289,
    timeTakenSeconds: seconds,
    complete,
    failed,
    failures: { connect: failed, receive: 0, length: 0, exceptions: 0 },
    non2xx: 0,
    keepAliveRequests: 0,
    totalTransferred: 1523 * complete,
    totalTransferredExact: true,
    htmlTransferred: 1289 * complete,
    totalBodySent: 0,
    requestsPerSecond: rps,
    timePerRequestMs: (concurrency * seconds * 1000) / complete,
    timePerRequestAllMs: (seconds * 1000) / complete,
    transferRateKBps: (1523 * complete) / 1024 / seconds,
    connectionTimes: { connect: timing, processing: timing, waiting: timing, total: timing },
    percentiles: { "50": p99 / 3, "90": p99 / 2, "99": p99, "100": p99 * 1.5 },
    statusCodes: { "200": complete },
    errors: failed ? { "connection refused": failed } : {},
    interrupted: false,
    timedOut: false,
  };
}

/** A run as the lab records it: a bench result plus its times and the client's CPU. */
export function benchRun(result: BenchResult, cpuPercent = 50): BenchRun {
  return {
    ...result,
    startedAt: "2026-11-23T13:00:01.000Z",
    endedAt: "2026-11-23T13:00:02.000Z",
    client: { cpuPercent, saturated: cpuPercent >= 90 },
    latencyHistogram: "",
  };
}

/**
 * A cell of `model` at `concurrency` whose runs made `rps` (one run per value), each with this
 * p99 and failures.
 */
export function cell(
  model: LabModel,
  concurrency: number,
  rps: number[],
  p99: number,
  failed = 0,
  route = "/page.html",
): LabCell {
  const url = `http://127.0.0.1:${PORTS[model]}${route}`;
  const runs = rps.map((r) => benchRun(benchResult(url, concurrency, r, p99, failed)));
  return {
    name: `${model} ${route}`,
    model,
    reference: model === "nginx" || model === "nginx-pool" || model === "haproxy",
    route,
    url,
    concurrency,
    engine: "raw",
    warmup: 100,
    startedAt: "2026-11-23T13:00:01.000Z",
    endedAt: "2026-11-23T13:00:02.000Z",
    environment: ENVIRONMENT,
    client: cellClient(runs),
    interrupted: false,
    runs,
    // No histograms here: the percentiles the runs were made with, as if merged.
    summary: { ...summarize(runs), percentiles: { ...runs[0]!.percentiles } },
  };
}

/** A literal lab result: three models, three levels, three runs each, failures on the pool at c=50. */
export function sampleResult(): LabResult {
  return {
    version: "0.1.0",
    startedAt: "2026-11-23T13:00:00.000Z",
    durationMs: 21_400,
    interrupted: null,
    settings: {
      requests: 1000,
      cpuRouteRequests: 200,
      repeat: 3,
      warmup: 100,
      concurrencyLevels: [1, 10, 50],
      keepAlive: false,
      workers: 2,
      demoRoutes: false,
      workMs: 5,
      engine: "raw",
    },
    environment: { ...ENVIRONMENT, poolDispatch: "kernel", benchThreads: 1 },
    anchors: [
      { name: "nginx", status: "missing", install: "apt-get install nginx" },
      { name: "haproxy", status: "off", install: "apt-get install haproxy" },
    ],
    servers: [
      { name: "async server", role: "async", address: "127.0.0.1:45000", pid: 101 },
      { name: "worker pool", role: "pool", address: "127.0.0.1:46000", pid: 102 },
      { name: "balancer", role: "balancer", address: "127.0.0.1:44444", pid: 103 },
    ],
    cells: [
      cell("async", 1, [1750, 1800, 1820], 1.2),
      cell("async", 10, [5100, 5200, 5300], 4.5),
      cell("async", 50, [4900, 5000, 5050], 21.5),
      cell("pool", 1, [1500, 1450, 1600], 1.5),
      cell("pool", 10, [6100, 6000, 6200], 3.9),
      cell("pool", 50, [5900, 5800, 6000], 18.25, 1),
      cell("balancer", 1, [1100, 1000, 1150], 2.1),
      cell("balancer", 10, [3900, 3800, 3950], 6.2),
      cell("balancer", 50, [4100, 4000, 4150], 30.75),
    ],
    connections: [
      { backend: "127.0.0.1:9002", connections: 750 },
      { backend: "127.0.0.1:9003", connections: 750 },
      { backend: "127.0.0.1:9004", connections: 750 },
      { backend: "127.0.0.1:9005", connections: 750 },
    ],
  };
}
