import assert from "node:assert/strict";
import { errorHead, serializeHead } from "../../lib/http1/_serialize.ts";

const date = "Thu, 01 Jan 2026 00:00:00 GMT";
const ctx = { head: false, minor: 1, keepAlive: true, date };

Deno.test("serializeHead() frames a sized body with Content-Length", () => {
  const res = new Response("hi", { headers: { "content-length": "2", "x-a": "1" } });
  const h = serializeHead(res, ctx);
  assert.equal(h.framing, "length");
  assert.equal(h.length, 2);
  assert.match(h.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(h.text, /\r\ncontent-length: 2\r\n/);
  assert.match(h.text, /\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n$/);
  assert.doesNotMatch(h.text, /connection/);
});

Deno.test("serializeHead() chunks an unsized body, or closes after it on HTTP/1.0", () => {
  const body = () => ReadableStream.from([new Uint8Array([1])]);
  const h = serializeHead(new Response(body()), ctx);
  assert.equal(h.framing, "chunked");
  assert.match(h.text, /transfer-encoding: chunked\r\n/);
  const old = serializeHead(new Response(body()), { ...ctx, minor: 0, keepAlive: true });
  assert.equal(old.framing, "close");
  assert.equal(old.keepAlive, false);
  assert.match(old.text, /connection: close\r\n/);
});

Deno.test("serializeHead() sends no body for HEAD, 204 and 304", () => {
  const sized = { headers: { "content-length": "5" } };
  const head = serializeHead(new Response(null, sized), { ...ctx, head: true });
  assert.equal(head.framing, "none");
  assert.match(head.text, /content-length: 5/);
  const empty = serializeHead(new Response(null, { status: 204, ...sized }), ctx);
  assert.equal(empty.framing, "none");
  assert.doesNotMatch(empty.text, /content-length/);
  const nm = serializeHead(new Response(null, { status: 304 }), ctx);
  assert.equal(nm.framing, "none");
  assert.doesNotMatch(nm.text, /content-length|transfer-encoding/);
  const none = serializeHead(new Response(null, { status: 301 }), ctx);
  assert.match(none.text, /content-length: 0\r\n/);
});

Deno.test("serializeHead() names the connection's fate", () => {
  const res = () => new Response(null, { headers: { connection: "upgrade" } });
  assert.match(serializeHead(res(), { ...ctx, keepAlive: false }).text, /connection: close\r\n/);
  const ka10 = serializeHead(res(), { ...ctx, minor: 0 }).text;
  assert.match(ka10, /connection: keep-alive\r\n/);
  assert.doesNotMatch(ka10, /upgrade/);
});

Deno.test("errorHead() is a complete closing answer", () => {
  const text = errorHead(431, "netlab/x", date);
  assert.match(text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  const [head, body] = text.split("\r\n\r\n");
  assert.match(head!, /connection: close/);
  assert.match(head!, new RegExp(`content-length: ${body!.length}`));
});
