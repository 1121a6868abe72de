import { createStaticHandler } from "../../lib/http/handler.ts";
import { makeFixture, runCase, SUITES } from "./_cases.ts";
import type { RawRequest } from "./_raw_http.ts";

/**
 * The Request `Deno.serve` would hand the handler: its `url` raw as Deno builds it (the Host header,
 * or `localhost` without one, then the target as sent; absolute-form as is) and the method exactly
 * as sent. `new Request` alone would normalise both and hide what the handler must refuse.
 */
function asServed(req: RawRequest): Request {
  const host = req.host === undefined ? "127.0.0.1" : req.host;
  const url = req.path.startsWith("/") ? `http://${host || "localhost"}${req.path}` : req.path;
  const headers = new Headers(req.headers ?? {});
  if (host !== null) headers.set("host", host);
  const request = new Request("http://127.0.0.1/", { headers });
  Object.defineProperty(request, "url", { value: url });
  Object.defineProperty(request, "method", { value: req.method ?? "GET" });
  return request;
}

// The shared case table, run against the handler itself (no socket): the serve and pool tests run
// the same table over the wire, so a rule that holds here and fails there is the transport's fault.
for (const suite of SUITES) {
  Deno.test(`createStaticHandler() follows the shared cases: ${suite.name}`, async (t) => {
    await using fixture = await makeFixture();
    const handler = createStaticHandler({ root: fixture.root, ...suite.options });
    const send = async (req: RawRequest) => {
      const res = await handler(asServed(req));
      return {
        status: res.status,
        headers: res.headers,
        body: new Uint8Array(await res.arrayBuffer()),
      };
    };
    for (const c of suite.cases) await t.step(c.name, () => runCase(send, c, fixture.root));
  });
}
