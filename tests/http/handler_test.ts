import assert from "node:assert/strict";
import { VERSION } from "../../lib/version.ts";
import { bytes, makeSite, PAGE, request } from "./_fixture.ts";

Deno.test("createStaticHandler() serves a file with type, length, validators and Server", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/page.html");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("content-length"), String(PAGE.length));
  assert.match(res.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
  const mtime = (await Deno.stat(`${site.root}/page.html`)).mtime!;
  assert.equal(
    res.headers.get("last-modified"),
    new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString(),
  );
  assert.equal(res.headers.get("accept-ranges"), "bytes");
  assert.equal(res.headers.get("server"), `netlab/${VERSION}`);
  assert.equal(await res.text(), PAGE);
});

Deno.test("createStaticHandler() answers HEAD with the GET headers and no body", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const get = await request(handler, "/hello.txt");
  await get.body?.cancel();
  const head = await request(handler, "/hello.txt", {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  for (const name of ["content-type", "content-length", "etag", "last-modified", "accept-ranges"]) {
    assert.equal(head.headers.get(name), get.headers.get(name), name);
  }
  assert.equal(head.headers.get("content-length"), "12");
});

Deno.test("createStaticHandler() serves the same cached file many times over", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  for (let i = 0; i < 5; i++) {
    const res = await request(handler, "/hello.txt");
    assert.equal(await res.text(), "hello world\n");
  }
});

Deno.test("createStaticHandler() gives content types by extension, with charset for text", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const cases: Record<string, string> = {
    "/hello.txt": "text/plain; charset=utf-8",
    "/image.png": "image/png",
    "/big.bin": "application/octet-stream",
  };
  for (const [path, type] of Object.entries(cases)) {
    const res = await request(handler, path, {}, "HEAD");
    assert.equal(res.headers.get("content-type"), type, path);
  }
});

Deno.test("createStaticHandler() answers other methods with 405 and Allow", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await request(handler, "/page.html", {}, method);
    await res.body?.cancel();
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
  }
});

Deno.test("createStaticHandler() answers OPTIONS with 204 and Allow", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/page.html", {}, "OPTIONS");
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("allow"), "GET, HEAD");
  assert.equal(res.body, null);
});

Deno.test("createStaticHandler() streams files above the cache limit in full", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/big.bin");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(300 * 1024));
  const body = await bytes(res);
  const file = await Deno.readFile(`${site.root}/big.bin`);
  assert.deepEqual(body, file);
});

/** A clock a test moves by hand, for the cache's 1 s revalidation. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = Date.now();
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("createStaticHandler() sees a changed file after the 1 s revalidation", async () => {
  await using site = await makeSite();
  const clock = manualClock();
  const handler = site.handler({ clock: clock.now });
  const first = await request(handler, "/hello.txt");
  assert.equal(await first.text(), "hello world\n");
  await Deno.writeTextFile(`${site.root}/hello.txt`, "changed, and longer\n");
  const early = await request(handler, "/hello.txt");
  assert.equal(await early.text(), "hello world\n", "trusted within the second");
  clock.advance(1001);
  const second = await request(handler, "/hello.txt");
  assert.equal(await second.text(), "changed, and longer\n");
  assert.notEqual(second.headers.get("etag"), first.headers.get("etag"));
});

Deno.test("createStaticHandler() answers a file that vanished with 404 after revalidation", async () => {
  await using site = await makeSite();
  const clock = manualClock();
  const handler = site.handler({ clock: clock.now });
  await (await request(handler, "/hello.txt")).body?.cancel();
  await Deno.remove(`${site.root}/hello.txt`);
  clock.advance(1001);
  const res = await request(handler, "/hello.txt");
  await res.body?.cancel();
  assert.equal(res.status, 404);
});

Deno.test("createStaticHandler() uses the root's 404.html for missing files", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const plain = await request(handler, "/missing.html");
  assert.equal(plain.status, 404);
  assert.match(await plain.text(), /404 Not Found/);
  await Deno.writeTextFile(`${site.root}/404.html`, "<h1>custom missing page</h1>\n");
  const custom = await request(handler, "/still-missing.html");
  assert.equal(custom.status, 404);
  assert.equal(custom.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await custom.text(), "<h1>custom missing page</h1>\n");
});

Deno.test("createStaticHandler() adds CORS headers and answers preflights with --cors", async () => {
  await using site = await makeSite();
  const handler = site.handler({ cors: true });
  const res = await request(handler, "/hello.txt", { origin: "http://example.test" });
  await res.body?.cancel();
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-expose-headers")!, /Content-Range/);
  const pre = await request(handler, "/hello.txt", {
    origin: "http://example.test",
    "access-control-request-method": "GET",
    "access-control-request-headers": "range",
  }, "OPTIONS");
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.equal(pre.headers.get("access-control-allow-methods"), "GET, HEAD");
  assert.equal(pre.headers.get("access-control-allow-headers"), "range");
  const off = await request(site.handler(), "/hello.txt", { origin: "http://example.test" });
  await off.body?.cancel();
  assert.equal(off.headers.get("access-control-allow-origin"), null);
});

Deno.test("createStaticHandler() turns an unexpected error into a 500 and keeps serving", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  class BrokenRequest extends Request {
    override get url(): string {
      throw new Error("broken request");
    }
  }
  const res = await handler(new BrokenRequest("http://localhost/hello.txt"));
  assert.equal(res.status, 500);
  assert.match(await res.text(), /500 Internal Server Error/);
  const ok = await request(handler, "/hello.txt");
  assert.equal(await ok.text(), "hello world\n");
});

Deno.test("createStaticHandler() answers a streamed file deleted a moment ago with 404", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const res = await request(handler, "/big.bin");
  await res.body?.cancel();
  assert.equal(res.status, 200);
  // the cache still trusts its entry for up to a second; opening the file is what fails
  await Deno.remove(`${site.root}/big.bin`);
  for (const headers of [{}, { range: "bytes=0-9" }, { range: "bytes=0-9,20-29" }]) {
    const gone = await request(handler, "/big.bin", headers);
    await gone.body?.cancel();
    assert.equal(gone.status, 404, JSON.stringify(headers));
  }
});

Deno.test("createStaticHandler() hands out bytes the cache does not share", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  for (const headers of [{}, { "accept-encoding": "br" }, { "accept-encoding": "gzip" }]) {
    const want = await bytes(await request(handler, "/page.html", headers));
    // a caller scribbles over what it read, or transfers it to another thread
    new Uint8Array(await (await request(handler, "/page.html", headers)).arrayBuffer()).fill(65);
    const moved = await (await request(handler, "/page.html", headers)).arrayBuffer();
    structuredClone(moved, { transfer: [moved] });
    assert.deepEqual(await bytes(await request(handler, "/page.html", headers)), want);
  }
});

Deno.test("createStaticHandler() answers an error on the cached fast path with a 500", async () => {
  await using site = await makeSite();
  const clock = manualClock();
  const handler = site.handler({ clock: clock.now, cacheMaxFileBytes: 1000 });
  const path = `${site.root}/hello.txt`;
  // hello.txt takes the fast path, then grows past the memory limit: the entry the fast path
  // finds next is streamed, and answering it opens the file
  await bytes(await request(handler, "/hello.txt"));
  await Deno.writeTextFile(path, "x".repeat(2000));
  clock.advance(1001);
  await bytes(await request(handler, "/hello.txt")); // the slow path reloads it
  // within the entry's second, the path becomes a socket: open(2) fails with ENXIO, which is
  // no "missing" error, inside the promise the fast path returns
  await Deno.remove(path);
  using _socket = Deno.listen({ transport: "unix", path });
  const res = await request(handler, "/hello.txt");
  assert.equal(res.status, 500);
  await res.body?.cancel();
});
