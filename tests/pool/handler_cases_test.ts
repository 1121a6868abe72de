import { rawRequest } from "../http/_raw_http.ts";
import { makeFixture, runCase, SUITES } from "../http/_cases.ts";
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
      for (const c of suite.cases) {
        await t.step(c.name, () => runCase((req) => rawRequest(p.port, req), c, fixture.root));
      }
    });
  }
}
