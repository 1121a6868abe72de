import { createStaticHandler } from "../../lib/http/handler.ts";
import { makeFixture, runCase, SUITES } from "./_cases.ts";

// The shared case table, run against the handler itself (no socket): the pool tests run the same
// table over the wire, so a rule that holds here and fails there is the transport's fault.
for (const suite of SUITES) {
  Deno.test(`createStaticHandler() follows the shared cases: ${suite.name}`, async (t) => {
    await using fixture = await makeFixture();
    const handler = createStaticHandler({ root: fixture.root, ...suite.options });
    const send = async (
      req: { method?: string; path: string; headers?: Record<string, string> },
    ) => {
      const res = await handler(
        new Request(`http://127.0.0.1${req.path}`, {
          method: req.method ?? "GET",
          headers: req.headers ?? {},
        }),
      );
      return {
        status: res.status,
        headers: res.headers,
        body: new Uint8Array(await res.arrayBuffer()),
      };
    };
    for (const c of suite.cases) await t.step(c.name, () => runCase(send, c, fixture.root));
  });
}
