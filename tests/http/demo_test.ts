import assert from "node:assert/strict";
import { createCpuBurner } from "../../lib/http/demo.ts";
import { makeSite, request } from "./_fixture.ts";

Deno.test("createCpuBurner() reads the thread's CPU clock where FFI is allowed", () => {
  const burner = createCpuBurner();
  assert.equal(burner.clock, "thread-cpu");
  const { cpuMs, wallMs } = burner.burn(5);
  assert.ok(cpuMs >= 5, `${cpuMs}`);
  assert.ok(wallMs > 0);
});

Deno.test("createCpuBurner('calibrated') does calibrated work and reports its estimate", () => {
  const burner = createCpuBurner("calibrated");
  assert.equal(burner.clock, "calibrated");
  assert.ok(burner.burn(5).cpuMs >= 5);
  assert.equal(burner.burn(0).cpuMs, 0);
});

Deno.test("createStaticHandler() answers /_netlab/work?ms=N with JSON when demoRoutes is on", async () => {
  await using site = await makeSite();
  const handler = site.handler({ demoRoutes: true });
  const res = await request(handler, "/_netlab/work?ms=3");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  const body = await res.json();
  assert.equal(body.ms, 3);
  assert.equal(body.clock, "thread-cpu");
  assert.ok(body.cpuMs >= 3, JSON.stringify(body));
  assert.ok(body.wallMs > 0, JSON.stringify(body));
  for (const bad of ["-1", "1001", "abc", "1.5", ""]) {
    const r = await request(handler, `/_netlab/work?ms=${bad}`);
    await r.body?.cancel();
    assert.equal(r.status, 400, bad);
  }
  const zero = await request(handler, "/_netlab/work");
  assert.equal((await zero.json()).ms, 0);
});

Deno.test("createStaticHandler() has no demo route unless asked", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/_netlab/work?ms=1");
  await res.body?.cancel();
  assert.equal(res.status, 404);
});
