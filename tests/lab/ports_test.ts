import assert from "node:assert/strict";
import { checkHost, choosePorts } from "../../lib/lab/_ports.ts";
import { NetlabError } from "../../lib/errors.ts";
import { netlab } from "../_netlab.ts";

Deno.test("choosePorts() gives a busy default port up for any free one (0)", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = busy.addr.port;
  const chosen = await choosePorts("127.0.0.1", [
    { port, what: "balancer", flag: "--balancer-port", given: false },
    { port: 0, what: "worker pool", flag: "--pool-port", given: false },
  ]);
  assert.deepEqual(chosen, [0, 0]);
});

Deno.test("choosePorts() keeps a free default port, once", async () => {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  // the second server with the same default gets another port instead of a clash
  const chosen = await choosePorts("127.0.0.1", [
    { port, what: "async server", flag: "--async-port", given: false },
    { port, what: "worker pool", flag: "--pool-port", given: false },
  ]);
  assert.equal(chosen[1], 0);
  assert.ok(chosen[0] === port || chosen[0] === 0); // 0 if another program took it meanwhile
});

Deno.test("choosePorts() fails on a busy port that was asked for, naming its flag", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = busy.addr.port;
  await assert.rejects(
    choosePorts("127.0.0.1", [{ port, what: "balancer", flag: "--balancer-port" }]),
    (err) => {
      assert.ok(err instanceof NetlabError);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: .*--balancer-port`));
      return true;
    },
  );
});

Deno.test("checkHost() names --host for a host nothing can listen on", () => {
  assert.throws(() => checkHost("nosuch.invalid"), /^NetlabError: .*"nosuch\.invalid" \(--host\)/);
  checkHost("127.0.0.1");
});

Deno.test("netlab lab --host nosuch.invalid names --host in one line, starting nothing", async () => {
  const out = await Deno.makeTempDir();
  const { code, stderr } = await netlab(["lab", "--host", "nosuch.invalid", "--out", out]);
  await Deno.remove(out, { recursive: true });
  assert.equal(code, 1);
  assert.equal(
    stderr,
    'netlab lab: Cannot listen on "nosuch.invalid" (--host): cannot resolve it\n',
  );
});
