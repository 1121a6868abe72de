import assert from "node:assert/strict";
import { BAD, ChunkedSkipper, MORE } from "../../lib/http1/_chunked.ts";

const enc = new TextEncoder();

Deno.test("ChunkedSkipper.feed() finds the end of a chunked body, byte by byte too", () => {
  const body = "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nTrailer: x\r\n\r\n";
  const buf = enc.encode(`${body}NEXT`);
  assert.equal(new ChunkedSkipper().feed(buf, 0, buf.length), body.length);
  const s = new ChunkedSkipper();
  for (let i = 0; i < body.length - 1; i++) assert.equal(s.feed(buf, i, i + 1), MORE, `at ${i}`);
  assert.equal(s.feed(buf, body.length - 1, buf.length), body.length);
});

Deno.test("ChunkedSkipper.feed() refuses bad framing", () => {
  for (
    const bad of ["x\r\n", "5\r\nhelloX\r\n", "5\nhello", "\r\n", "1234567890abc\r\n", "0\r\nA\n"]
  ) {
    const buf = enc.encode(bad);
    assert.equal(new ChunkedSkipper().feed(buf, 0, buf.length), BAD, JSON.stringify(bad));
  }
});
