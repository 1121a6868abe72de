import type { BenchResult } from "../../lib/bench/result.ts";
import type { LabModel, LabResult, LabRun } from "../../lib/lab/types.ts";

const PORTS: Record<LabModel, number> = { async: 45000, pool: 46000, balancer: 44444 };

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

function run(model: LabModel, concurrency: number, rps: number, p99: number, failed = 0): LabRun {
  const url = `http://127.0.0.1:${PORTS[model]}/page.html`;
  return { model, route: "/page.html", result: benchResult(url, concurrency, rps, p99, failed) };
}

/** A literal lab result: three models, three levels, a few failures on the pool at c=50. */
export function sampleResult(): LabResult {
  return {
    version: "0.1.0",
    startedAt: "2026-11-23T13:00:00.000Z",
    durationMs: 21_400,
    settings: {
      requests: 1000,
      concurrencyLevels: [1, 10, 50],
      keepAlive: false,
      workers: 2,
      demoRoutes: false,
      workMs: 5,
      engine: "raw",
    },
    environment: { os: "linux", cpus: 2, deno: "2.9.6" },
    servers: [
      { name: "async server", role: "async", address: "127.0.0.1:45000", pid: 101 },
      { name: "worker pool", role: "pool", address: "127.0.0.1:46000", pid: 102 },
      { name: "balancer", role: "balancer", address: "127.0.0.1:44444", pid: 103 },
    ],
    runs: [
      run("async", 1, 1800, 1.2),
      run("async", 10, 5200, 4.5),
      run("async", 50, 5000, 21.5),
      run("pool", 1, 1500, 1.5),
      run("pool", 10, 6100, 3.9),
      run("pool", 50, 5900, 18.25, 3),
      run("balancer", 1, 1100, 2.1),
      run("balancer", 10, 3900, 6.2),
      run("balancer", 50, 4100, 30.75),
    ],
    connections: [
      { backend: "127.0.0.1:9002", connections: 750 },
      { backend: "127.0.0.1:9003", connections: 750 },
      { backend: "127.0.0.1:9004", connections: 750 },
      { backend: "127.0.0.1:9005", connections: 750 },
    ],
  };
}
