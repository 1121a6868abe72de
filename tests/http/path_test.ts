import assert from "node:assert/strict";
import { resolvePath } from "../../lib/http/_path.ts";
import { makeSite, request } from "./_fixture.ts";

Deno.test("resolvePath() maps decoded segments under the root", () => {
  assert.deepEqual(resolvePath("/srv", "/a/b%20c.txt", false), {
    ok: true,
    path: "/srv/a/b c.txt",
    segments: ["a", "b c.txt"],
  });
  assert.deepEqual(resolvePath("/srv", "/", false), { ok: true, path: "/srv", segments: [] });
});

Deno.test("resolvePath() refuses encoded slashes, backslashes, NUL, dot segments and bad escapes", () => {
  for (const p of ["/a%2fb", "/a%2Fb", "/a%5cb", "/a%00b", "/%2e%2e", "/%2e", "/%zz", "/%e0%a4"]) {
    assert.deepEqual(resolvePath("/srv", p, true), { ok: false, status: 400 }, p);
  }
});

Deno.test("resolvePath() hides dotfiles unless allowed", () => {
  assert.deepEqual(resolvePath("/srv", "/.env", false), { ok: false, status: 404 });
  assert.deepEqual(resolvePath("/srv", "/a/.git/config", false), { ok: false, status: 404 });
  assert.equal(resolvePath("/srv", "/.env", true).ok, true);
});

Deno.test("createStaticHandler() never serves outside the root, whatever the spelling", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const attempts = [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/..%5c..%5cetc%5cpasswd",
    "/sub/..%2f..%2f..%2fetc/passwd",
    "/hello.txt%00.html",
    "/%",
    "/%c0%ae%c0%ae/etc/passwd",
    "/link-out",
    "/dir-out/passwd",
    "/dir-out/",
  ];
  for (const path of attempts) {
    const res = await request(handler, path);
    const text = await res.text();
    assert.ok(res.status === 400 || res.status === 404, `${path} gave ${res.status}`);
    assert.doesNotMatch(text, /root:/, path);
  }
});

Deno.test("createStaticHandler() follows symlinks that stay inside the root", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/link-in");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "hello world\n");
});

Deno.test("createStaticHandler() answers dotfiles with 404 unless dotfiles is on", async () => {
  await using site = await makeSite();
  for (const path of ["/.secret", "/.git/config", "/files/.hidden.txt"]) {
    const hidden = await request(site.handler(), path);
    await hidden.body?.cancel();
    assert.equal(hidden.status, 404, path);
  }
  const shown = await request(site.handler({ dotfiles: true }), "/.secret");
  assert.equal(shown.status, 200);
  assert.equal(await shown.text(), "secret\n");
});

Deno.test("createStaticHandler() decodes percent-encoded names", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/with%20space.txt");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "space\n");
});
