import assert from "node:assert/strict";
import { rawEngine } from "../../lib/bench/engines/raw.ts";
import { newSample, Outcome } from "../../lib/bench/engine.ts";
import { fixedServer } from "./_servers.ts";

Deno.test("rawEngine() looks the host name up once: later connections reuse the first address", async () => {
  await using server = fixedServer("hi");
  // Record what each connect is asked to reach: Deno.connect is wrapped, nothing of ours is.
  const asked: string[] = [];
  const connect = Deno.connect;
  // deno-lint-ignore no-explicit-any
  (Deno as any).connect = (options: Deno.ConnectOptions) => {
    asked.push(options.hostname ?? "");
    return connect(options);
  };
  try {
    const engine = rawEngine({
      url: new URL(`http://localhost:${server.port}/`),
      method: "GET",
      headers: [],
      body: null,
      keepAlive: false,
      concurrency: 2,
      caCerts: [],
    });
    const clients = [engine.client(), engine.client()];
    const sample = newSample();
    for (let i = 0; i < 3; i++) {
      for (const c of clients) {
        await c.request(sample);
        assert.equal(sample.outcome, Outcome.Complete, sample.cause);
      }
    }
    for (const c of clients) c.close();
    engine.close();
  } finally {
    // deno-lint-ignore no-explicit-any
    (Deno as any).connect = connect;
  }
  assert.equal(asked.length, 6);
  assert.equal(asked[0], "localhost");
  // fixedServer listens on 127.0.0.1, so that is where the first connection went
  assert.deepEqual(asked.slice(1), Array(5).fill("127.0.0.1"));
});
