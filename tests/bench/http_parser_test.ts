import assert from "node:assert/strict";
import { HttpParseError, ResponseParser } from "../../lib/bench/_http_parser.ts";

const enc = new TextEncoder();

/** Feeds `text` split at every `step` bytes and returns the parser and the bytes consumed. */
function parse(text: string, opts: { step?: number; head?: boolean; eof?: boolean } = {}) {
  const bytes = enc.encode(text);
  const p = new ResponseParser();
  p.captureServer = true;
  p.reset(opts.head ?? false);
  const step = opts.step ?? bytes.length;
  let consumed = 0;
  for (let i = 0; i < bytes.length && !p.done; i += step) {
    const chunk = bytes.slice(i, Math.min(bytes.length, i + step));
    consumed += p.feed(chunk, 0, chunk.length);
  }
  if (opts.eof) p.eof();
  return { p, consumed, total: bytes.length };
}

const CL = "HTTP/1.1 200 OK\r\nServer: nginx/1.2\r\nContent-Length: 5\r\n\r\nhello";
const CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n";

Deno.test("ResponseParser parses Content-Length bodies split at every byte position", () => {
  for (let step = 1; step <= CL.length; step++) {
    const { p, consumed, total } = parse(CL, { step });
    assert.ok(p.done, `step ${step}`);
    assert.equal(p.status, 200);
    assert.equal(p.bodyBytes, 5);
    assert.equal(p.wireBytes, total);
    assert.equal(consumed, total);
    assert.equal(p.keepAlive, true);
    assert.equal(p.server, "nginx/1.2");
  }
});

Deno.test("ResponseParser de-chunks bodies with extensions and trailers at every split", () => {
  for (let step = 1; step <= CHUNKED.length; step++) {
    const { p, total } = parse(CHUNKED, { step });
    assert.ok(p.done, `step ${step}`);
    assert.equal(p.bodyBytes, 12);
    assert.equal(p.wireBytes, total);
  }
});

Deno.test("ResponseParser reads close-delimited bodies until EOF and disables keep-alive", () => {
  const text = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
  for (const step of [1, 3, 1000]) {
    const { p } = parse(text, { step });
    assert.equal(p.done, false);
    assert.equal(p.closeDelimited, true);
    assert.equal(p.eof(), true);
    assert.equal(p.bodyBytes, 13);
    assert.equal(p.keepAlive, false);
  }
});

Deno.test("ResponseParser skips 1xx responses but counts their bytes", () => {
  const text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + CL;
  for (let step = 1; step <= text.length; step += 7) {
    const { p, total } = parse(text, { step });
    assert.ok(p.done);
    assert.equal(p.status, 200);
    assert.equal(p.bodyBytes, 5);
    assert.equal(p.wireBytes, total);
  }
});

Deno.test("ResponseParser expects no body after HEAD, 204 and 304", () => {
  assert.ok(parse("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", { head: true }).p.done);
  assert.ok(parse("HTTP/1.1 204 No Content\r\n\r\n").p.done);
  assert.ok(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n").p.done);
});

Deno.test("ResponseParser honours Connection: close and HTTP/1.0 keep-alive", () => {
  assert.equal(
    parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").p.keepAlive,
    false,
  );
  assert.equal(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").p.keepAlive, false);
  assert.equal(
    parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").p.keepAlive,
    true,
  );
});

Deno.test("ResponseParser stops at the end of a response and leaves the next one's bytes", () => {
  const bytes = enc.encode(CL + CL);
  const p = new ResponseParser();
  p.reset(false);
  assert.equal(p.feed(bytes, 0, bytes.length), CL.length);
  assert.ok(p.done);
  p.reset(false);
  assert.equal(p.feed(bytes, CL.length, bytes.length), CL.length);
  assert.ok(p.done);
});

Deno.test("ResponseParser rejects what is not HTTP/1.x", () => {
  assert.throws(() => parse("SSH-2.0-OpenSSH\r\n\r\n"), HttpParseError);
  assert.throws(() => parse("HTTP/1.1 2x0 OK\r\n\r\n"), HttpParseError);
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"), HttpParseError);
  assert.throws(
    () => parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    HttpParseError,
  );
});

Deno.test("ResponseParser takes a big body that arrives with the end of split headers", () => {
  // Headers split across reads, then one read with the rest of them and a body bigger than the
  // header limit: only header bytes count against that limit.
  const body = "x".repeat(70_000);
  const bytes = enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const p = new ResponseParser();
  p.reset(false);
  let consumed = p.feed(bytes, 0, 10);
  consumed += p.feed(bytes, 10, bytes.length);
  assert.ok(p.done);
  assert.equal(p.bodyBytes, body.length);
  assert.equal(consumed, bytes.length);
  assert.equal(p.wireBytes, bytes.length);
});

Deno.test("ResponseParser still rejects a header block past 64 KiB when it arrives in pieces", () => {
  const head = `HTTP/1.1 200 OK\r\nX-Big: ${"y".repeat(70_000)}\r\n\r\n`;
  assert.throws(() => parse(head, { step: 1000 }), HttpParseError);
});

Deno.test("ResponseParser rejects a chunk size or Content-Length too large to count exactly", () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.throws(() => parse(`${head}${"f".repeat(20)}\r\nabc`), HttpParseError);
  // The largest size that still counts exactly is accepted (the body just has not arrived).
  const { p } = parse(`${head}${(2 ** 52).toString(16)}\r\nabc`);
  assert.equal(p.bodyBytes, 3);
  assert.throws(
    () => parse(`HTTP/1.1 200 OK\r\nContent-Length: ${"9".repeat(20)}\r\n\r\nabc`),
    HttpParseError,
  );
});

Deno.test("ResponseParser refuses chunk framing outside the grammar", () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (
    const bad of [
      "5 6\r\nhello\r\n0\r\n\r\n",
      "5\t6\r\nhello\r\n0\r\n\r\n",
      "5;a\0\r\nhello\r\n0\r\n\r\n",
      "5\r\r\nhello\r\n0\r\n\r\n",
      "5\rx\nhello\r\n0\r\n\r\n",
      "5\r\nhello\r\r\n0\r\n\r\n",
      "5\r\nhelloX\r\n0\r\n\r\n",
      "0\r\nX: a\0b\r\n\r\n",
      `0\r\nX: ${"a".repeat(70_000)}\r\n\r\n`,
    ]
  ) assert.throws(() => parse(head + bad), HttpParseError, JSON.stringify(bad));
  // what the grammar allows, and a bare LF as a line's end (RFC 9112 section 2.2)
  for (const good of ["5 ;a=b\r\nhello\r\n0\r\n\r\n", "5\nhello\n0\nX: y\n\n"]) {
    const { p, consumed, total } = parse(head + good + "NEXT");
    assert.ok(p.done, JSON.stringify(good));
    assert.equal(p.bodyBytes, 5);
    assert.equal(consumed, total - 4);
  }
});
