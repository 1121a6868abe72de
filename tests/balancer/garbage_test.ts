/**
 * The garbage battery: clients that send what no server accepts and close must not take a
 * backend out. Each bad request is answered (400, 414, 431, 505) by a real `netlab serve` that
 * then closes with the rest unread (a reset), often while the balancer still counts the connect
 * as in progress. Backends and bad clients run on a Worker's thread, as separate processes would.
 */
import assert from "node:assert/strict";
import { collectLogs, engineTest, readAll, startOn, writeAll } from "./_helpers.ts";
import { type Pickable, RoundRobin, type Strategy } from "../../lib/balancer/strategies/mod.ts";

/**
 * Round-robin that holds the balancer's thread for 2 ms before each pick, as a busy balancer
 * is held: the backend then answers and resets the previous connection before the balancer
 * looks at its connect again, so the hang-up and the writable edge arrive as one event.
 */
class SlowRoundRobin implements Strategy {
  readonly name = "round-robin";
  #rr = new RoundRobin();
  #nap = new Int32Array(new SharedArrayBuffer(4));
  pick<B extends Pickable>(candidates: readonly B[], clientHost: string): B | undefined {
    Atomics.wait(this.#nap, 0, 0, 2);
    return this.#rr.pick(candidates, clientHost);
  }
}

/** The battery's Worker: one order at a time, one answer each. */
class GarbageWorker implements AsyncDisposable {
  #worker = new Worker(new URL("./_garbage_worker.ts", import.meta.url), { type: "module" });

  ask<T>(order: unknown): Promise<T> {
    const { promise, resolve } = Promise.withResolvers<T>();
    this.#worker.onmessage = (e) => resolve(e.data as T);
    this.#worker.postMessage(order);
    return promise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.ask("stop");
    this.#worker.terminate();
  }
}

for (const count of [1, 4]) {
  engineTest(
    `Balancer keeps ${count} backend(s) up through 300 garbage clients; a good client then gets its 200`,
    async (engine) => {
      await using logs = await collectLogs("warning");
      const root = await Deno.makeTempDir({ prefix: "netlab-garbage-" });
      try {
        await Deno.writeTextFile(`${root}/index.html`, "ok\n");
        await using worker = new GarbageWorker();
        const ports = await worker.ask<number[]>({ root, count });
        await using lb = await startOn(engine, {
          port: 0,
          backends: ports.map((port) => ({ host: "127.0.0.1", port, weight: 1 })),
          strategy: new SlowRoundRobin(),
        });
        await worker.ask({ port: lb.addr.port, clients: 300 });
        const lines = () => logs.lines.join("\n");
        for (const b of lb.stats().backends) assert.equal(b.state, "up", lines());
        assert.equal(logs.lines.filter((l) => l.includes(" is down")).length, 0, lines());
        using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
        await writeAll(conn, new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
        const reply = new TextDecoder().decode(await readAll(conn));
        assert.match(reply, /^HTTP\/1\.[01] 200 /, reply.slice(0, 200));
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  );
}
