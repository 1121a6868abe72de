import assert from "node:assert/strict";
import { ChildGroup, parseListening } from "../../lib/lab/children.ts";
import { NetlabError } from "../../lib/errors.ts";

Deno.test("parseListening() reads host and port from serve, pool and balancer lines", () => {
  assert.deepEqual(parseListening("INF netlab.serve: listening on http://127.0.0.1:9002/"), {
    host: "127.0.0.1",
    port: 9002,
  });
  assert.deepEqual(parseListening(`{"message":"listening on https://[::1]:8443/"}`), {
    host: "::1",
    port: 8443,
  });
  assert.deepEqual(parseListening("balancer listening on 127.0.0.1:44444 (round-robin)"), {
    host: "127.0.0.1",
    port: 44444,
  });
  assert.equal(parseListening("GET /page.html 200"), undefined);
});

Deno.test("ChildGroup.start() names the child and its own reason when it exits early", async () => {
  await using group = new ChildGroup();
  await assert.rejects(
    group.start({ name: "balancer", args: ["frobnicate"], isReady: () => true, hint: "try again" }),
    (err) => {
      assert.ok(err instanceof NetlabError);
      assert.equal(
        err.message,
        "Cannot start the balancer: unknown command 'frobnicate' (try again)",
      );
      return true;
    },
  );
  assert.ok(group.children.every((c) => c.exited));
});

Deno.test("ChildGroup.start() stops when the signal aborts", async () => {
  await using group = new ChildGroup();
  const controller = new AbortController();
  // `lab --help` prints and exits; abort before its output can count as ready.
  const started = group.start(
    { name: "x", args: ["lab", "--help"], isReady: () => false },
    controller.signal,
  );
  controller.abort(new Error("stop now"));
  await assert.rejects(started, /stop now/);
  await group.stop();
  assert.ok(group.children.every((c) => c.exited));
});

Deno.test("ChildGroup.assertRunning() names a child that died", async () => {
  await using group = new ChildGroup();
  const child = await group.start({
    name: "async server 3",
    args: ["serve", "--port", "0", "--quiet"],
    isReady: (line) => line.includes("listening on"),
  });
  group.assertRunning();
  Deno.kill(child.pid, "SIGKILL");
  while (!child.exited) await new Promise((r) => setTimeout(r, 20));
  assert.throws(
    () => group.assertRunning(),
    /^NetlabError: The async server 3 stopped during the lab \(exit SIGKILL\)$/,
  );
});

Deno.test("ChildGroup.start() passes on a busy port as one line naming it", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  await using group = new ChildGroup();
  await assert.rejects(
    group.start({
      name: "async server",
      args: ["serve", "--port", String(port), "--quiet"],
      isReady: (line) => line.includes("listening on"),
      hint: "change it with --async-port",
    }),
    (err) => {
      assert.ok(err instanceof NetlabError);
      assert.equal(
        err.message,
        `Cannot start the async server: Cannot listen on 127.0.0.1:${port}: address already in use (change it with --async-port)`,
      );
      return true;
    },
  );
});

Deno.test("ChildGroup.start() rejects with the error of an isReady() that throws", async () => {
  await using group = new ChildGroup();
  const isReady = () => {
    throw new Error("isReady broke");
  };
  // an unknown command writes its error to stderr, and that line reaches the throwing isReady
  await assert.rejects(group.start({ name: "x", args: ["frobnicate"], isReady }), /isReady broke/);
  await group.stop();
});
