import type { LabModel, LabResult, LabRun } from "../../lib/lab/types.ts";

function run(model: LabModel, concurrency: number, rps: number, p99: number, failed = 0): LabRun {
  const requests = 1000;
  const seconds = requests / rps;
  return {
    model,
    route: "/page.html",
    url: `http://127.0.0.1:${
      model === "async" ? 45000 : model === "pool" ? 46000 : 44444
    }/page.html`,
    concurrency,
    requests,
    seconds,
    complete: requests - failed,
    failed,
    non2xx: 0,
    totalBytes: 1_523_000,
    requestsPerSecond: rps,
    timePerRequestMs: (concurrency * seconds * 1000) / requests,
    transferKBps: 1_523_000 / 1024 / seconds,
    latencyMs: { p50: p99 / 3, p90: p99 / 2, p99, max: p99 * 1.5, mean: p99 / 2.5 },
  };
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
