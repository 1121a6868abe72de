import assert from "node:assert/strict";
import { rawRequest } from "../http/_raw_http.ts";
import { forEngine, makeFixture, runCase, SUITES } from "../http/_cases.ts";
import { serve } from "../../lib/server/async.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import type { RunningServer } from "../../lib/server/async.ts";

// The handler's shared case table over the wire, on both engines. Each case runs twice: on the
// epoll engine the second answer of a cached file comes from the prebuilt fast path, which must
// agree with the handler's own.
const ENGINES = {
  deno: (root: string, options: object) => serve({ root, port: 0, accessLog: false, ...options }),
  epoll: (root: string, options: object) =>
    Promise.resolve(startHttp1({ root, port: 0, accessLog: false, ...options })),
} satisfies Record<string, (root: string, options: object) => Promise<RunningServer>>;

for (const [engine, start] of Object.entries(ENGINES)) {
  for (const suite of SUITES) {
    Deno.test(`${engine} engine follows the shared cases: ${suite.name}`, async (t) => {
      await using fixture = await makeFixture();
      await using server = await start(fixture.root, suite.options);
      assert.equal(server.engine, engine, "the engine asked for is the one that runs");
      const send = (req: Parameters<typeof rawRequest>[1]) => rawRequest(server.addr.port, req);
      for (const c of suite.cases.map((c) => forEngine(c, server.engine))) {
        await t.step(c.name, async () => {
          await runCase(send, c, fixture.root);
          await runCase(send, c, fixture.root);
        });
      }
    });
  }
}
