import assert from "node:assert/strict";
import { netlab } from "../_netlab.ts";
import { spawnNetlab } from "../server/_spawn.ts";
import { pickEngine } from "../../lib/server/engine.ts";

Deno.test("pickEngine() runs epoll where it can and says why not elsewhere", () => {
  assert.deepEqual(pickEngine("auto", { tls: false, host: "127.0.0.1" }), { engine: "epoll" });
  assert.deepEqual(pickEngine("deno", { tls: false, host: "127.0.0.1" }), { engine: "deno" });
  // TLS runs on the loop through the system's OpenSSL 3
  assert.deepEqual(pickEngine("epoll", { tls: true, host: "::1" }), { engine: "epoll" });
  assert.match(pickEngine("auto", { tls: false, host: "localhost" }).reason!, /IP addresses/);
  assert.match(pickEngine("epoll", { tls: false, host: "::1", queue: true }).reason!, /queue/);
});

Deno.test("netlab serve --engine epoll names its engine in the listening line", async () => {
  await using proc = await spawnNetlab(["serve", "--engine", "epoll", "--port", "0", "--quiet"]);
  assert.match(proc.stderr(), /listening on http:\/\/127\.0\.0\.1:\d+\/ \(engine epoll\)/);
});

Deno.test("netlab serve --engine epoll where it cannot run says why and runs deno", async () => {
  await using proc = await spawnNetlab([
    "serve",
    "--engine",
    "epoll",
    "--host",
    "localhost",
    "--port",
    "0",
  ]);
  const res = await fetch(new URL("page.html", proc.url));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  const log = proc.stderr();
  assert.match(log, /listening on http:\/\/[^ ]+\/ \(engine deno\)/);
  assert.match(
    log,
    /Cannot run the epoll engine: it listens on IP addresses only, not "localhost"; running the deno engine\n/,
  );
});

for (const flag of ["--header-timeout", "--keepalive-timeout", "--send-timeout"]) {
  Deno.test(`netlab serve --engine deno ${flag} is refused in one line (exit 2)`, async () => {
    const { code, stderr } = await netlab(["serve", "--engine", "deno", flag, "5"]);
    assert.equal(code, 2);
    const [first] = stderr.split("\n");
    assert.match(first!, new RegExp(`^netlab serve: ${flag} needs the epoll engine`));
  });
}

Deno.test("netlab pool --dispatch queue refuses the epoll engine's timeouts", async () => {
  const { code, stderr } = await netlab([
    "pool",
    "--dispatch",
    "queue",
    "--header-timeout",
    "5",
  ]);
  assert.equal(code, 2);
  assert.match(stderr, /^netlab pool: --header-timeout needs the epoll engine .*queue dispatch/);
});
