import { serve } from "../../lib/server/async.ts";
import { makeFixture, runCase, SUITES } from "../http/_cases.ts";
import { rawRequest } from "../http/_raw_http.ts";

// The shared case table over the wire, on `netlab serve`'s engine: what a client sends is what
// Deno.serve hands the handler, Host header and raw target included.
for (const suite of SUITES) {
  Deno.test(`serve() follows the shared cases: ${suite.name}`, async (t) => {
    await using fixture = await makeFixture();
    await using server = await serve({
      root: fixture.root,
      ...suite.options,
      port: 0,
      accessLog: false,
    });
    for (const c of suite.cases) {
      await t.step(
        c.name,
        () => runCase((req) => rawRequest(server.addr.port, req), c, fixture.root),
      );
    }
  });
}
