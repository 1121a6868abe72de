import assert from "node:assert/strict";
import { rawRequest } from "../http/_raw_http.ts";
import { forEngine, makeFixture, runCase, SUITES } from "../http/_cases.ts";
import { DISPATCHES, poolMode, startPool } from "./_helpers.ts";

for (const dispatch of DISPATCHES) {
  for (const suite of SUITES) {
    Deno.test(`WorkerPool serves the static handler's rules: ${suite.name} (${dispatch})`, async (t) => {
      await using fixture = await makeFixture();
      await using p = await startPool({
        handler: { root: fixture.root, ...suite.options },
        ...poolMode(dispatch),
        logLevel: "warning",
      });
      assert.equal(p.pool.engine, poolMode(dispatch).engine, "no quiet fallback");
      for (const c of suite.cases.map((c) => forEngine(c, p.pool.engine))) {
        await t.step(c.name, () => runCase((req) => rawRequest(p.port, req), c, fixture.root));
      }
    });
  }
}
