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

// The pool's default port, held by these tests so that it is certainly busy when the lab looks.
// Another program (another test's lab) may hold it for a while: wait until it can be had.
const POOL_DEFAULT = 46000;
let holder: Deno.Listener | undefined;

async function holdPoolDefault(): Promise<void> {
  const until = Date.now() + 120_000;
  while (holder === undefined) {
    try {
      holder = Deno.listen({ hostname: "127.0.0.1", port: POOL_DEFAULT });
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse)) throw err;
      if (Date.now() > until) throw new Error(`port ${POOL_DEFAULT} stayed busy for 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const quickLab = ["-n", "2", "--concurrency-levels", "1", "--workers", "1"];
const freePorts = ["--backend-ports", "0", "--balancer-port", "0", "--async-port", "0"];

Deno.test({
  name: "netlab lab moves off a busy default port and says where to",
  sanitizeResources: false, // the held port stays open for the next test
  async fn() {
    await holdPoolDefault();
    const out = await Deno.makeTempDir();
    try {
      const { code, stderr } = await netlab(["lab", ...quickLab, ...freePorts, "--out", out]);
      assert.equal(code, 0, stderr);
      assert.match(
        stderr,
        /^port 46000 is busy: the worker pool listens on 127\.0\.0\.1:\d+ instead \(give --pool-port to insist on a port\)$/m,
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "netlab lab fails on a busy port given on the command line, naming its flag",
  sanitizeResources: false,
  async fn() {
    await holdPoolDefault();
    const out = await Deno.makeTempDir();
    try {
      const args = ["lab", ...quickLab, ...freePorts, "--pool-port", String(POOL_DEFAULT)];
      const { code, stderr } = await netlab([...args, "--out", out]);
      assert.equal(code, 1);
      assert.match(stderr, /127\.0\.0\.1:46000: address already in use .*--pool-port/);
    } finally {
      await Deno.remove(out, { recursive: true });
      holder?.close();
    }
  },
});
