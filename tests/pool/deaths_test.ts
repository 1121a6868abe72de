import assert from "node:assert/strict";
import { NetlabError } from "../../lib/errors.ts";
import { CrashLoop, startError } from "../../lib/server/_pool_deaths.ts";

Deno.test("CrashLoop.record() reports a loop only when enough deaths fall in the window", () => {
  const loop = new CrashLoop(3, 10_000);
  assert.equal(loop.record(0, "a"), undefined);
  assert.equal(loop.record(5_000, "b"), undefined);
  assert.equal(loop.record(12_000, "c"), undefined); // the first death has left the window
  const err = loop.record(13_000, "worker 2: boom");
  assert.ok(err instanceof NetlabError);
  assert.equal(
    err.message,
    "Worker pool stopped: workers died 3 times within 10 s (last: worker 2: boom)",
  );
});

Deno.test("startError() maps a worker's listen failure to the one-line message", () => {
  const taken = startError({ hostname: "::1", port: 8000 }, 1, "AddrInUse: x", {
    name: "AddrInUse",
    message: "Address already in use",
  });
  assert.ok(taken instanceof NetlabError);
  assert.equal(taken.message, "Cannot listen on [::1]:8000: address already in use");
  const other = startError({ hostname: "127.0.0.1", port: 0 }, 2, "SyntaxError: bad module");
  assert.ok(other instanceof NetlabError);
  assert.equal(other.message, "Worker 2 could not start: SyntaxError: bad module");
});

Deno.test("startError() names a host that does not resolve, as serve does", () => {
  const lookup = startError({ hostname: "nosuch.invalid", port: 8000 }, 1, "Error: x", {
    name: "Error",
    message: "failed to lookup address information: Name or service not known",
  });
  assert.ok(lookup instanceof NetlabError);
  assert.equal(
    lookup.message,
    'Cannot listen on nosuch.invalid:8000: cannot resolve host "nosuch.invalid"',
  );
});
