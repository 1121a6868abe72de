import assert from "node:assert/strict";
import { spawnNetlab } from "./_spawn.ts";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`netlab serve finishes the request in flight on ${signal} and exits 0`, async () => {
    await using proc = await spawnNetlab(["serve", "--port", "0", "--demo-routes"]);
    const inFlight = fetch(new URL("_netlab/work?ms=700", proc.url));
    await new Promise((r) => setTimeout(r, 250));
    const sentAt = Date.now();
    proc.child.kill(signal);
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal((await res.json()).ms, 700);
    const status = await proc.status;
    assert.equal(status.code, 0);
    assert.ok(Date.now() - sentAt < 5000, "exited within 5 s");
    assert.match(proc.stderr(), /GET \/_netlab\/work\?ms=700 200/);
  });
}

Deno.test("netlab serve exits 0 on SIGTERM with an idle keep-alive connection open", async () => {
  await using proc = await spawnNetlab(["serve", "--port", "0", "--quiet"]);
  const port = Number(new URL(proc.url).port);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n"));
  const buf = new Uint8Array(4096);
  assert.ok((await conn.read(buf))! > 0);
  const sentAt = Date.now();
  proc.child.kill("SIGTERM");
  assert.equal((await proc.status).code, 0);
  assert.ok(Date.now() - sentAt < 5000, "exited within 5 s");
});
