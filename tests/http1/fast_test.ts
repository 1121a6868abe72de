import assert from "node:assert/strict";
import { HttpDate } from "../../lib/http1/_date.ts";
import { FastAnswers, replayable } from "../../lib/http1/_fast.ts";

const dec = new TextDecoder();
const res = (headers: Record<string, string>, status = 200) =>
  new Response(status === 304 ? null : "hello", { status, headers });
const okHeaders = { etag: '"5-1"', "content-length": "5", "content-type": "text/plain" };

Deno.test("FastAnswers replays the handler's answer with the Date patched each second", () => {
  const fast = new FastAnswers();
  const date = new HttpDate(Date.UTC(2026, 0, 1, 0, 0, 0));
  fast.rememberOk("/a", res(okHeaders), new TextEncoder().encode("hello"), 0);
  const e = fast.find("/a", 999)!;
  const first = dec.decode(e.ok.answer(0, date));
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(first, /date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\nhello$/);
  date.update(Date.UTC(2026, 0, 1, 0, 0, 7));
  const again = dec.decode(e.ok.answer(0, date));
  assert.match(again, /date: Thu, 01 Jan 2026 00:00:07 GMT\r\n\r\nhello$/);
  assert.equal(again.length, first.length);
  const close = dec.decode(e.ok.answer(1, date));
  assert.match(close, /connection: close\r\n\r\nhello$/);
  assert.equal(close.slice(0, e.ok.headLength[1]).endsWith("\r\n\r\n"), true);
  assert.equal(fast.find("/a", 1000), undefined, "stale after a second");
});

Deno.test("FastAnswers keeps a 304 only for the entry's own ETag", () => {
  const fast = new FastAnswers();
  fast.rememberOk("/a", res(okHeaders), new Uint8Array(5), 0);
  fast.rememberNotModified("/a", res({ etag: '"5-1"' }, 304), '"other"');
  assert.equal(fast.find("/a", 0)!.notModified, null);
  fast.rememberNotModified("/a", res({ etag: '"5-1"' }, 304), '"5-1"');
  const date = new HttpDate();
  assert.match(dec.decode(fast.find("/a", 0)!.notModified!.answer(0, date)), /^HTTP\/1\.1 304 /);
});

Deno.test("replayable() takes only plain cacheable 200s", () => {
  assert.equal(replayable(res(okHeaders)), true);
  assert.equal(replayable(res({ "content-length": "5" })), false, "no etag");
  assert.equal(replayable(res({ ...okHeaders, "cache-control": "no-store" })), false);
  assert.equal(replayable(res(okHeaders, 206)), false);
  assert.equal(replayable(res({ etag: '"x"' })), false, "unsized");
});
