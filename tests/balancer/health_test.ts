import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { Backend } from "../../lib/balancer/backend.ts";
import { HealthChecker } from "../../lib/balancer/health.ts";
import { collectLogs } from "./_helpers.ts";
import { HeldPort } from "../_ports.ts";

Deno.test("HealthChecker takes a backend out after 3 bad checks, back after 2 good, logged even when quiet", async () => {
  await using logs = await collectLogs("warning"); // what --quiet keeps
  // held, not listening: checks fail, and no other test module's listener can take the port
  using held = new HeldPort();
  const port = held.port;
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
  held.listen();
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

Deno.test({
  name:
    "HealthChecker does not hold a check against a backend when the balancer itself is out of descriptors",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // its own process: it takes every descriptor it has
    const fixture = new URL("./_health_emfile.ts", import.meta.url).pathname;
    const out = await new Deno.Command("sh", {
      args: ["-c", 'ulimit -n 128 && exec "$0" run -A "$1"', Deno.execPath(), fixture],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    const result = JSON.parse(text);
    assert.ok(result.filesHeld > 0);
    assert.deepEqual(result.whileOut, { state: "up", failures: 0 });
    assert.equal(result.after, "up");
    // said at once, the rest when its second is up (here: when the checker stops)
    const line = (n: string) =>
      `health checks not counted: the balancer is out of descriptors (Too many open files (os error 24)) (${n} since the last line)`;
    assert.deepEqual(result.lines, [line("1 time"), line("2 times")]);
  },
});
