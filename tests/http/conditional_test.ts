import assert from "node:assert/strict";
import {
  evaluatePreconditions,
  ifRangeAllows,
  notModifiedEtag,
} from "../../lib/http/_conditional.ts";
import { makeSite, request } from "./_fixture.ts";

const V = { etag: '"a-1"', baseEtag: '"a-1"', mtimeSec: 1_700_000_000 };
const date = (sec: number) => new Date(sec * 1000).toUTCString();
const eval_ = (h: Record<string, string>, method = "GET") =>
  evaluatePreconditions(new Headers(h), method, V);

Deno.test("evaluatePreconditions() matches If-None-Match lists, * and weak tags", () => {
  assert.equal(eval_({ "if-none-match": '"a-1"' }), 304);
  assert.equal(eval_({ "if-none-match": 'W/"a-1"' }), 304);
  assert.equal(eval_({ "if-none-match": '"x", "y" ,W/"a-1"' }), 304);
  assert.equal(eval_({ "if-none-match": "*" }), 304);
  assert.equal(eval_({ "if-none-match": '"x", "y"' }), 200);
  assert.equal(eval_({ "if-none-match": '"a-1"' }, "HEAD"), 304);
});

Deno.test("evaluatePreconditions() uses If-Modified-Since only without If-None-Match", () => {
  assert.equal(eval_({ "if-modified-since": date(V.mtimeSec) }), 304);
  assert.equal(eval_({ "if-modified-since": date(V.mtimeSec + 60) }), 304);
  assert.equal(eval_({ "if-modified-since": date(V.mtimeSec - 1) }), 200);
  assert.equal(eval_({ "if-modified-since": "not a date" }), 200);
  // not HTTP-dates, though Date.parse reads them as 2030 and 2001: ignored (RFC 9110 13.1.3)
  assert.equal(eval_({ "if-modified-since": "2030" }), 200);
  assert.equal(eval_({ "if-unmodified-since": "1" }), 200);
  // the obsolete forms of V.mtimeSec (Tue, 14 Nov 2023 22:13:20 GMT) still count
  assert.equal(eval_({ "if-modified-since": "Tuesday, 14-Nov-23 22:13:20 GMT" }), 304);
  assert.equal(eval_({ "if-modified-since": "Tue Nov 14 22:13:20 2023" }), 304);
  assert.equal(eval_({ "if-none-match": '"other"', "if-modified-since": date(V.mtimeSec) }), 200);
});

Deno.test("evaluatePreconditions() gives 412 for a failed If-Match or If-Unmodified-Since", () => {
  assert.equal(eval_({ "if-match": '"other"' }), 412);
  assert.equal(eval_({ "if-match": 'W/"a-1"' }), 412); // If-Match compares strongly
  assert.equal(eval_({ "if-match": '"a-1"' }), 200);
  assert.equal(eval_({ "if-match": "*" }), 200);
  assert.equal(eval_({ "if-unmodified-since": date(V.mtimeSec - 1) }), 412);
  assert.equal(eval_({ "if-unmodified-since": date(V.mtimeSec) }), 200);
  assert.equal(eval_({ "if-match": '"a-1"', "if-unmodified-since": date(0) }), 200);
});

Deno.test("ifRangeAllows() needs an exact strong tag or the exact date", () => {
  assert.equal(ifRangeAllows(null, V), true);
  assert.equal(ifRangeAllows('"a-1"', V), true);
  assert.equal(ifRangeAllows('"b-2"', V), false);
  assert.equal(ifRangeAllows('W/"a-1"', V), false);
  assert.equal(ifRangeAllows(date(V.mtimeSec), V), true);
  assert.equal(ifRangeAllows(date(V.mtimeSec + 1), V), false);
});

Deno.test("createStaticHandler() answers a matching If-None-Match with 304 and validators", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const first = await request(handler, "/hello.txt");
  await first.body?.cancel();
  const etag = first.headers.get("etag")!;
  const res = await request(handler, "/hello.txt", { "if-none-match": `"nope", ${etag}` });
  assert.equal(res.status, 304);
  assert.equal(res.body, null);
  assert.equal(res.headers.get("etag"), etag);
  assert.equal(res.headers.get("last-modified"), first.headers.get("last-modified"));
  const ims = await request(handler, "/hello.txt", {
    "if-modified-since": first.headers.get("last-modified")!,
  });
  assert.equal(ims.status, 304);
});

Deno.test("createStaticHandler() answers failed If-Match / If-Unmodified-Since with 412", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const a = await request(handler, "/hello.txt", { "if-match": '"stale"' });
  await a.body?.cancel();
  assert.equal(a.status, 412);
  const b = await request(handler, "/big.bin", { "if-unmodified-since": date(0) });
  await b.body?.cancel();
  assert.equal(b.status, 412);
});

Deno.test("createStaticHandler() honours If-Range only when the validator matches", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const first = await request(handler, "/hello.txt");
  await first.body?.cancel();
  const etag = first.headers.get("etag")!;
  const hit = await request(handler, "/hello.txt", { range: "bytes=0-4", "if-range": etag });
  assert.equal(hit.status, 206);
  assert.equal(await hit.text(), "hello");
  const miss = await request(handler, "/hello.txt", { range: "bytes=0-4", "if-range": '"old"' });
  assert.equal(miss.status, 200);
  assert.equal(await miss.text(), "hello world\n");
});

Deno.test("notModifiedEtag() names the representation the client holds", () => {
  const v = { etag: '"a-1-gzip"', baseEtag: '"a-1"', mtimeSec: 0 };
  assert.equal(notModifiedEtag('"a-1"', v), '"a-1"');
  assert.equal(notModifiedEtag('W/"a-1"', v), '"a-1"');
  assert.equal(notModifiedEtag('"x", "a-1-gzip"', v), '"a-1-gzip"');
  assert.equal(notModifiedEtag('"a-1", "a-1-gzip"', v), '"a-1-gzip"', "the selected one first");
  assert.equal(notModifiedEtag("*", v), '"a-1-gzip"');
  assert.equal(notModifiedEtag(null, v), '"a-1-gzip"');
});
