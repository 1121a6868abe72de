import assert from "node:assert/strict";
import { BAD, ChunkedSkipper, MORE } from "../../lib/http1/_chunked.ts";

const enc = new TextEncoder();

/** Feeds `text` whole, then byte by byte; both must agree. */
function feed(text: string): number {
  const buf = enc.encode(text);
  const whole = new ChunkedSkipper().feed(buf, 0, buf.length);
  const s = new ChunkedSkipper();
  let split: number = MORE;
  for (let i = 0; i < buf.length && split === MORE; i++) split = s.feed(buf, i, i + 1);
  assert.equal(split, whole, `byte by byte differs for ${JSON.stringify(text)}`);
  return whole;
}

Deno.test("ChunkedSkipper.feed() finds the end of a chunked body, byte by byte too", () => {
  const body = "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nTrailer: x\r\n\r\n";
  const buf = enc.encode(`${body}NEXT`);
  assert.equal(new ChunkedSkipper().feed(buf, 0, buf.length), body.length);
  const s = new ChunkedSkipper();
  for (let i = 0; i < body.length - 1; i++) assert.equal(s.feed(buf, i, i + 1), MORE, `at ${i}`);
  assert.equal(s.feed(buf, body.length - 1, buf.length), body.length);
});

Deno.test("ChunkedSkipper.feed() takes every form the grammar allows", () => {
  for (
    const good of [
      "0\r\n\r\n",
      "000\r\n\r\n",
      "A\r\n0123456789\r\n0\r\n\r\n",
      "a\r\n0123456789\r\n0\r\n\r\n",
      "00000000000000000001\r\nx\r\n0\r\n\r\n", // leading zeros are not overflow
      "1;a\r\nx\r\n0\r\n\r\n",
      "1;a=b;c\r\nx\r\n0;last\r\n\r\n",
      "1 ; a = b ;\tc\r\nx\r\n0\r\n\r\n", // BWS around ";" and "="
      '1;a="q \\" ; \\\\ \x80"\r\nx\r\n0\r\n\r\n', // quoted-string with quoted-pairs
      '1;a="" ;b=c\r\nx\r\n0\r\n\r\n',
      "0\r\nA: 1\r\nB-c:\r\nD:  spaced\tvalue \r\n\r\n",
      "0\r\nX: \x80\xff\r\n\r\n", // obs-text in a trailer value
    ]
  ) assert.equal(feed(`${good}NEXT`), enc.encode(good).length, JSON.stringify(good));
});

Deno.test("ChunkedSkipper.feed() refuses bytes outside the grammar", () => {
  for (
    const bad of [
      "x\r\n",
      "\r\n",
      "-1\r\n",
      "+1\r\n",
      "0x5\r\n",
      "5 6\r\nhello\r\n", // a second number after whitespace
      "5\t6\r\n",
      "5 \r\nhello\r\n", // whitespace is only allowed before ";"
      "5\nhello\r\n0\r\n\r\n", // bare LF after the size
      "5\rhello",
      "5\r\nhelloX\r\n",
      "5\r\nhello\n0\r\n\r\n", // bare LF after data
      "5\r\nhello\r0\r\n\r\n",
      "12345678901234\r\n", // 14 significant hex digits: past 2^53
      "ffffffffffffffff\r\n",
      "1;\r\n",
      "1;=b\r\n",
      "1;a=\r\n",
      "1;a b\r\n",
      "1;a=b c\r\n",
      '1;a="b\r\n',
      '1;a="b"c\r\n',
      "1;a=b\0\r\n",
      "1;a\x7f\r\n",
      "1;a=\x80\r\n",
      '1;a="\0"\r\n',
      "1;a@b\r\n",
      "1;a\nx\r\n0\r\n\r\n",
      "0\r\n\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", // a bare LF ends nothing
      "0\r\nA: 1\n\r\n",
      "0\r\nA: 1\r\n\n",
      "0\r\nA: 1\r\n 2\r\n\r\n", // obs-fold
      "0\r\n A: 1\r\n\r\n",
      "0\r\nA : 1\r\n\r\n", // whitespace before the colon
      "0\r\n: 1\r\n\r\n",
      "0\r\nA\r\n\r\n",
      "0\r\nA: \0\r\n\r\n",
      "0\r\nA: \x7f\r\n\r\n",
      "0\r\nA: b\rc\r\n\r\n",
      "0\r\n\r\r\n",
    ]
  ) assert.equal(feed(bad), BAD, JSON.stringify(bad));
});

Deno.test("ChunkedSkipper.feed() bounds the size line and the trailer section", () => {
  assert.equal(feed(`1;a=${"b".repeat(4100)}\r\n`), BAD);
  assert.equal(feed(`1;a=${"b".repeat(4000)}\r\nx\r\n0\r\n\r\n`) > 0, true);
  assert.equal(feed(`0\r\n${"A: b\r\n".repeat(101)}\r\n`), BAD); // more fields than a head may have
  assert.equal(feed(`0\r\n${"A: b\r\n".repeat(100)}\r\n`) > 0, true);
  assert.equal(feed(`0\r\nA: ${"b".repeat(33 * 1024)}\r\n\r\n`), BAD); // larger than a head may be
});
