import assert from "node:assert/strict";
import { ChildGroup, LabChild } from "../../lib/lab/children.ts";
import { cpuTicks, startupBudgetMs } from "../../lib/runtime/startup.ts";
import { formatReadyLine, parseReadyLine } from "../../lib/runtime/ready.ts";
import { NetlabError } from "../../lib/errors.ts";

Deno.test("LabChild learns its port and host from the ready line, not from log text", async () => {
  await using group = new ChildGroup();
  const child = await group.start({
    name: "server",
    args: ["serve", "--port", "0", "--host", "::1"],
  });
  assert.equal(child.host, "::1");
  assert.ok(child.port > 0);
  const res = await fetch(`http://[::1]:${child.port}/page.html`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("parseReadyLine() reads only ready lines", () => {
  assert.deepEqual(
    parseReadyLine(
      formatReadyLine({ command: "balance", host: "::1", port: 1, statsPort: 2 }).trim(),
    ),
    { command: "balance", host: "::1", port: 1, statsPort: 2 },
  );
  assert.equal(parseReadyLine("netlab serve: listening on http://127.0.0.1:9002/"), undefined);
  assert.equal(parseReadyLine("netlab-ready {broken"), undefined);
});

Deno.test("ChildGroup.start() names the child and its own reason when it exits early", async () => {
  await using group = new ChildGroup();
  await assert.rejects(
    group.start({ name: "balancer", args: ["frobnicate"], hint: "try again" }),
    (err) => {
      assert.ok(err instanceof NetlabError);
      assert.equal(
        err.message,
        "Cannot start the balancer: unknown command 'frobnicate'", // not the port: no port hint
      );
      return true;
    },
  );
  assert.ok(group.children.every((c) => c.exited));
});

Deno.test("ChildGroup.start() stops when the signal aborts", async () => {
  await using group = new ChildGroup();
  const controller = new AbortController();
  // `lab --help` prints and exits; abort before its output can count as ready.
  const started = group.start(
    { name: "x", args: ["lab", "--help"] },
    controller.signal,
  );
  controller.abort(new Error("stop now"));
  await assert.rejects(started, /stop now/);
  await group.stop();
  assert.ok(group.children.every((c) => c.exited));
});

Deno.test("ChildGroup.assertRunning() names a child that died", async () => {
  await using group = new ChildGroup();
  const child = await group.start({
    name: "async server 3",
    args: ["serve", "--port", "0", "--quiet"],
  });
  group.assertRunning();
  Deno.kill(child.pid, "SIGKILL");
  while (!child.exited) await new Promise((r) => setTimeout(r, 20));
  assert.throws(
    () => group.assertRunning(),
    /^NetlabError: The async server 3 stopped during the lab \(exit SIGKILL\)$/,
  );
});

Deno.test("ChildGroup.start() passes on a busy port as one line naming it", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  await using group = new ChildGroup();
  await assert.rejects(
    group.start({
      name: "async server",
      args: ["serve", "--port", String(port), "--quiet"],
      hint: "change it with --async-port",
    }),
    (err) => {
      assert.ok(err instanceof NetlabError);
      assert.equal(
        err.message,
        `Cannot start the async server: Cannot listen on 127.0.0.1:${port}: address already in use (change it with --async-port)`,
      );
      return true;
    },
  );
});

Deno.test("startupBudgetMs() grows with the load per CPU, from the base to ten times it", () => {
  assert.equal(startupBudgetMs(20_000, 0.3, 2), 20_000);
  assert.equal(startupBudgetMs(20_000, 11, 2), 110_000, "load 11 on 2 CPUs: 5.5 times");
  assert.equal(startupBudgetMs(20_000, 500, 2), 200_000);
  assert.ok(cpuTicks(Deno.pid)! > 0);
});

Deno.test("LabChild.ready() waits while the child works, and blames no port it did not take", async () => {
  // never ready (bench prints no ready line) and always busy (it keeps asking a closed port)
  const spec = {
    name: "worker pool",
    args: ["bench", "-q", "-t", "1h", "--engine", "raw", "http://127.0.0.1:9/"],
    hint: "change it with --pool-port",
  };
  await using child = new LabChild(spec);
  await assert.rejects(child.ready(spec, undefined, 1000, 3000), (err) => {
    assert.ok(err instanceof NetlabError);
    const m = /^Cannot start the worker pool: not ready after (\d+) s(.*)$/.exec(err.message);
    assert.ok(m, err.message);
    assert.ok(
      Number(m[1]) >= 2,
      `gave up after ${m[1]} s, at the first budget, though it was busy`,
    );
    assert.doesNotMatch(m[2]!, /--pool-port/, "the port was not the cause");
    return true;
  });
  assert.ok(child.exited, "stopped when given up on");
});
