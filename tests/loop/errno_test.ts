import assert from "node:assert/strict";
import { errnoError } from "../../lib/loop/mod.ts";

Deno.test("errnoError() gives the class and message Deno.net gives for the same errno", async () => {
  const port = (() => {
    using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return l.addr.port;
  })();
  const refused = await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (c) => (c.close(), undefined),
    (err: Error) => err,
  );
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let inUse: Error | undefined;
  try {
    Deno.listen({ hostname: "127.0.0.1", port: busy.addr.port }).close();
  } catch (err) {
    inUse = err as Error;
  }
  for (const [errno, deno] of [[111, refused], [98, inUse]] as const) {
    assert.ok(deno, `no Deno error for errno ${errno}`);
    const ours = errnoError(errno, "call");
    assert.equal(ours.constructor, deno.constructor);
    assert.equal(ours.message, deno.message);
  }
  // what an accept out of descriptors logs: the reason, not only the call and its number
  assert.equal(errnoError(24, "accept4").message, "Too many open files (os error 24)");
});
