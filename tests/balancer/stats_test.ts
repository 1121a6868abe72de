import assert from "node:assert/strict";
import { type BalancerStats, createStatsHandler } from "../../lib/balancer/stats.ts";

const sample: BalancerStats = {
  engine: "epoll",
  listening: "127.0.0.1:44444",
  strategy: "round-robin",
  uptimeSeconds: 12,
  active: 1,
  total: 7,
  rejected: 2,
  unserved: 1,
  bytesUp: 100,
  bytesDown: 2000,
  backends: [
    {
      address: "127.0.0.1:9002",
      weight: 1,
      state: "up",
      active: 1,
      total: 4,
      bytesUp: 60,
      bytesDown: 1200,
      failures: 0,
    },
    {
      address: "[::1]:9003",
      weight: 3,
      state: "down",
      active: 0,
      total: 3,
      bytesUp: 40,
      bytesDown: 800,
      failures: 5,
    },
  ],
};
const handler = createStatsHandler(() => sample);

Deno.test("createStatsHandler() serves GET /stats as JSON", async () => {
  const res = handler(new Request("http://x/stats"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  assert.deepEqual(await res.json(), sample);
});

Deno.test("createStatsHandler() serves GET /metrics as Prometheus text", async () => {
  const res = handler(new Request("http://x/metrics"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (
    const line of [
      "# TYPE netlab_balancer_connections_total counter",
      "netlab_balancer_connections_total 7",
      "netlab_balancer_connections_rejected_total 2",
      'netlab_backend_up{backend="127.0.0.1:9002"} 1',
      'netlab_backend_up{backend="[::1]:9003"} 0',
      'netlab_backend_bytes_total{backend="[::1]:9003",direction="down"} 800',
      'netlab_backend_failures_total{backend="[::1]:9003"} 5',
    ]
  ) assert.ok(text.split("\n").includes(line), line);
});

Deno.test("createStatsHandler() answers 404 elsewhere and 405 to other methods", async () => {
  const missing = handler(new Request("http://x/"));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const post = handler(new Request("http://x/stats", { method: "POST" }));
  assert.equal(post.status, 405);
  await post.body?.cancel();
});
