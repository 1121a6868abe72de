import assert from "node:assert/strict";
import { makeSite, request } from "./_fixture.ts";

Deno.test("createStaticHandler() redirects a directory without a slash with 301", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/sub?x=1");
  assert.equal(res.status, 301);
  assert.equal(res.headers.get("location"), "/sub/?x=1");
});

Deno.test("createStaticHandler() never redirects to another host", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "//sub");
  await res.body?.cancel();
  assert.equal(res.status, 301);
  assert.equal(res.headers.get("location"), "/sub/");
});

Deno.test("createStaticHandler() serves index.html for a directory", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const res = await request(handler, "/sub/");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "<p>sub index</p>\n");
  const again = await request(handler, "/sub/");
  assert.equal(await again.text(), "<p>sub index</p>\n");
});

Deno.test("createStaticHandler() answers a directory without index with 404 unless list", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/files/");
  await res.body?.cancel();
  assert.equal(res.status, 404);
});

Deno.test("createStaticHandler() lists a directory with escaped names when list is on", async () => {
  await using site = await makeSite();
  await Deno.symlink(`${site.root}/nowhere`, `${site.root}/files/dangling`);
  const res = await request(site.handler({ list: true }), "/files/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await res.text();
  assert.match(html, /<a href="a.txt">a.txt<\/a>/);
  assert.match(html, /<a href="inner\/">inner\/<\/a>/);
  assert.match(html, /&lt;b&gt;&amp;&#39;.txt/);
  assert.match(html, /href="%3Cb%3E%26&#39;.txt"/);
  assert.doesNotMatch(html, /<b>/);
  assert.doesNotMatch(html, /hidden/);
  assert.doesNotMatch(html, /dangling/);
});

Deno.test("createStaticHandler() answers a file path with a trailing slash with 404", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/hello.txt/");
  await res.body?.cancel();
  assert.equal(res.status, 404);
});

Deno.test("createStaticHandler() leaves symlinks that leave the root out of a listing", async () => {
  await using site = await makeSite(); // the root has link-out, dir-out and link-in, no index.html
  const res = await request(site.handler({ list: true }), "/");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /href="link-in"/);
  assert.doesNotMatch(html, /link-out/);
  assert.doesNotMatch(html, /dir-out/);
});

Deno.test("createStaticHandler() answers a listed directory removed a moment ago with 404", async () => {
  await using site = await makeSite();
  const handler = site.handler({ list: true });
  const res = await request(handler, "/files/");
  await res.body?.cancel();
  assert.equal(res.status, 200);
  // the cache still trusts its directory entry for up to a second
  await Deno.remove(`${site.root}/files`, { recursive: true });
  const gone = await request(handler, "/files/");
  await gone.body?.cancel();
  assert.equal(gone.status, 404);
});
