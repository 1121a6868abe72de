import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { pickEncoding } from "../../lib/http/_compress.ts";
import { BIG_TEXT, bytes, makeSite, PAGE, request } from "./_fixture.ts";

Deno.test("pickEncoding() prefers brotli, honours q=0 and falls back to gzip", () => {
  assert.equal(pickEncoding("gzip, deflate, br"), "br");
  assert.equal(pickEncoding("gzip"), "gzip");
  assert.equal(pickEncoding("br;q=0, gzip;q=0.5"), "gzip");
  assert.equal(pickEncoding("gzip, br", false), "gzip");
  assert.equal(pickEncoding("identity"), null);
  assert.equal(pickEncoding("*"), "br");
  assert.equal(pickEncoding("br;q=0, *"), "gzip"); // "*" does not undo an explicit refusal
  assert.equal(pickEncoding("gzip;q=0, br;q=0, *"), null);
  assert.equal(pickEncoding("*;q=0, gzip"), "gzip");
  assert.equal(pickEncoding(null), null);
});

Deno.test("pickEncoding() lets the highest q-value win, brotli on a tie", () => {
  assert.equal(pickEncoding("br;q=0.1, gzip;q=1"), "gzip");
  assert.equal(pickEncoding("gzip;q=0.9, br;q=0.8"), "gzip");
  assert.equal(pickEncoding("gzip;q=0.5, br;q=0.5"), "br");
  assert.equal(pickEncoding("gzip, br;q=1.0"), "br");
  assert.equal(pickEncoding("br;q=0.8, *;q=0.9"), "gzip"); // "*" weighs the unnamed gzip
  assert.equal(pickEncoding("gzip; q=0.2, br ; q=0.3"), "br");
  assert.equal(pickEncoding("gzip;q=0.000"), null);
  // a malformed weight is not a weight of 1
  assert.equal(pickEncoding("gzip;q=2"), null);
  assert.equal(pickEncoding("br;q=x, gzip;q=0.1"), "gzip");
});

Deno.test("createStaticHandler() brotli- and gzip-compresses cached text when accepted", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const br = await request(handler, "/page.html", { "accept-encoding": "gzip, br" });
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.equal(br.headers.get("vary"), "Accept-Encoding");
  const brBody = await bytes(br);
  assert.equal(br.headers.get("content-length"), String(brBody.length));
  assert.ok(brBody.length < PAGE.length);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(brBody)), PAGE);

  const gz = await request(handler, "/page.html", { "accept-encoding": "gzip" });
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  assert.equal(new TextDecoder().decode(gunzipSync(await bytes(gz))), PAGE);
  assert.notEqual(gz.headers.get("etag"), br.headers.get("etag"));

  const plain = await request(handler, "/page.html");
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("vary"), "Accept-Encoding");
  assert.equal(await plain.text(), PAGE);
});

Deno.test("createStaticHandler() gzips streamed text without a Content-Length", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/big.txt", { "accept-encoding": "br, gzip" });
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), null);
  assert.equal(new TextDecoder().decode(gunzipSync(await bytes(res))), BIG_TEXT);
});

Deno.test("createStaticHandler() leaves images, ranges and --no-compress uncompressed", async () => {
  await using site = await makeSite();
  const image = await request(site.handler(), "/image.png", { "accept-encoding": "gzip" });
  await image.body?.cancel();
  assert.equal(image.headers.get("content-encoding"), null);
  const range = await request(site.handler(), "/page.html", {
    "accept-encoding": "gzip",
    range: "bytes=0-9",
  });
  assert.equal(range.headers.get("content-encoding"), null);
  assert.equal(await range.text(), PAGE.slice(0, 10));
  const off = await request(site.handler({ compress: false }), "/page.html", {
    "accept-encoding": "gzip",
  });
  assert.equal(off.headers.get("content-encoding"), null);
  assert.equal(off.headers.get("vary"), null);
  assert.equal(await off.text(), PAGE);
});

Deno.test("createStaticHandler() answers If-None-Match with a compressed ETag with 304", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const gz = await request(handler, "/page.html", { "accept-encoding": "gzip" });
  await gz.body?.cancel();
  const res = await request(handler, "/page.html", {
    "accept-encoding": "gzip",
    "if-none-match": gz.headers.get("etag")!,
  });
  assert.equal(res.status, 304);
  assert.equal(res.headers.get("etag"), gz.headers.get("etag"));
});
