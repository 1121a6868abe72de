import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { Backend } from "../../lib/balancer/backend.ts";
import { HealthChecker } from "../../lib/balancer/health.ts";
import { collectLogs } from "./_helpers.ts";

Deno.test("HealthChecker takes a backend out after 3 bad checks, back after 2 good, logged even when quiet", async () => {
  await using logs = await collectLogs("warning"); // what --quiet keeps
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close(); // nothing listens there now: checks fail
  const backend = new Backend({ host: "127.0.0.1", port, weight: 1 });
  const checker = new HealthChecker([backend], {
    intervalMs: 60_000,
    timeoutMs: 1000,
    logger: getLogger(["netlab", "balance"]),
  });
  await checker.checkAll();
  await checker.checkAll();
  assert.equal(backend.state, "up", "two bad checks are not enough");
  await checker.checkAll();
  assert.equal(backend.state, "down");
  using _listener = Deno.listen({ hostname: "127.0.0.1", port });
  await checker.checkAll();
  assert.equal(backend.state, "down", "one good check is not enough");
  await checker.checkAll();
  assert.equal(backend.state, "up");
  assert.deepEqual(logs.lines.map((l) => l.replace(/ \(.*\)$/, "")), [
    `backend 127.0.0.1:${port} is down: 3 failed health checks`,
    `backend 127.0.0.1:${port} is up: 2 good health checks`,
  ]);
  await checker.stop();
});
