import assert from "node:assert/strict";
import { ask, delay, engineTest, requestBackend, startOn } from "./_helpers.ts";

engineTest(
  "Balancer: a backend stopped during 2,000 requests fails no request started after it stopped, and comes back after a restart",
  async (engine) => {
    const backends = ["a", "b", "c", "d"].map((name) => requestBackend(name));
    const [, b] = backends;
    await using lb = await startOn(engine, {
      backends: backends.map((x) => ({ host: "127.0.0.1", port: x.port, weight: 1 })),
      port: 0,
      healthIntervalMs: 50,
      connectTimeoutMs: 1000,
    });
    try {
      const total = 2000;
      let next = 0;
      let completed = 0;
      let stoppedAt = Infinity;
      let backAt = Infinity;
      const failedAfterStop: number[] = [];
      let failedBefore = 0;
      let servedByBAfterReturn = 0;

      let startedAfterReturn = 0;
      // at least `total` requests, and enough after b's return for it to get its turn: however
      // the machine's speed splits the run between the phases
      const more = () => next < total || startedAfterReturn < 200;
      const worker = async () => {
        while (more()) {
          const i = next++;
          if (backAt !== Infinity) startedAfterReturn++;
          const started = performance.now();
          const answer = await ask(lb.addr.port, `request ${i}\n`).catch(() => "");
          completed++;
          if (answer === "") {
            if (started > stoppedAt) failedAfterStop.push(i);
            else failedBefore++;
          } else if (answer === "b" && started > backAt) servedByBAfterReturn++;
        }
      };
      const chaos = async () => {
        while (completed < 500) await delay(1);
        await b!.stop();
        stoppedAt = performance.now();
        while (completed < 1000) await delay(1);
        b!.start(); // same port
        while (lb.backends[1]!.state !== "up") await delay(5);
        backAt = performance.now();
      };
      await Promise.all([chaos(), ...Array.from({ length: 10 }, worker)]);

      assert.deepEqual(failedAfterStop, [], "requests started after the stop failed");
      assert.ok(failedBefore <= 10, `${failedBefore} in-flight requests failed`);
      assert.ok(servedByBAfterReturn > 0, "the restarted backend got traffic again");
      assert.equal(lb.backends[1]!.state, "up");
      assert.ok(lb.backends[1]!.failures >= 1);
    } finally {
      for (const x of backends) await x.stop();
    }
  },
);

engineTest(
  "Balancer: health checks take a dead backend out and bring it back after two good checks",
  async (engine) => {
    const a = requestBackend("a");
    const b = requestBackend("b");
    await using lb = await startOn(engine, {
      backends: [a, b].map((x) => ({ host: "127.0.0.1", port: x.port, weight: 1 })),
      port: 0,
      healthIntervalMs: 30,
    });
    try {
      await b.stop();
      while (lb.backends[1]!.state === "up") await delay(5); // three failed checks
      assert.ok(lb.backends[1]!.badChecks >= 3);
      for (let i = 0; i < 4; i++) assert.equal(await ask(lb.addr.port, "x\n"), "a");
      b.start();
      while (lb.backends[1]!.state === "down") await delay(5);
      assert.ok(lb.backends[1]!.goodChecks >= 2);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await ask(lb.addr.port, "x\n"));
      assert.deepEqual([...seen].sort(), ["a", "b"]);
    } finally {
      await a.stop();
      await b.stop();
    }
  },
);
