import assert from "node:assert/strict";
import { MAX_RANGES, parseRange } from "../../lib/http/_range.ts";
import { BIG_BIN, bytes, makeSite, request } from "./_fixture.ts";

Deno.test("parseRange() reads single, open and suffix ranges", () => {
  assert.deepEqual(parseRange("bytes=0-0", 10), { kind: "ranges", ranges: [{ start: 0, end: 0 }] });
  assert.deepEqual(parseRange("bytes=5-", 10), { kind: "ranges", ranges: [{ start: 5, end: 9 }] });
  assert.deepEqual(parseRange("bytes=-3", 10), { kind: "ranges", ranges: [{ start: 7, end: 9 }] });
  assert.deepEqual(parseRange("bytes=-30", 10), { kind: "ranges", ranges: [{ start: 0, end: 9 }] });
  assert.deepEqual(parseRange("bytes=8-100", 10), {
    kind: "ranges",
    ranges: [{ start: 8, end: 9 }],
  });
  assert.deepEqual(parseRange("bytes=0-1, 4-5", 10), {
    kind: "ranges",
    ranges: [{ start: 0, end: 1 }, { start: 4, end: 5 }],
  });
});

Deno.test("parseRange() merges overlapping and adjacent ranges, the rest in the order asked", () => {
  const one = (start: number, end: number) => ({ kind: "ranges", ranges: [{ start, end }] });
  assert.deepEqual(parseRange("bytes=0-9,0-9", 10), one(0, 9));
  assert.deepEqual(parseRange(`bytes=${Array(20).fill("0-").join(",")}`, 100), one(0, 99));
  assert.deepEqual(parseRange("bytes=0-4,5-9", 10), one(0, 9));
  // RFC 9110 section 15.3.7.2: the parts SHOULD come in the order asked
  assert.deepEqual(parseRange("bytes=6-8,0-2,1-3", 10), {
    kind: "ranges",
    ranges: [{ start: 6, end: 8 }, { start: 0, end: 3 }],
  });
  assert.deepEqual(parseRange("bytes=50-59,0-9,20-29,5-14", 100), {
    kind: "ranges",
    ranges: [{ start: 50, end: 59 }, { start: 0, end: 14 }, { start: 20, end: 29 }],
  });
  assert.deepEqual(parseRange("bytes=-10,0-0", 100), {
    kind: "ranges",
    ranges: [{ start: 90, end: 99 }, { start: 0, end: 0 }],
  });
});

Deno.test("parseRange() refuses more than MAX_RANGES distinct ranges, however small", () => {
  const spaced = (n: number) =>
    `bytes=${Array.from({ length: n }, (_, i) => `${i * 20}-${i * 20 + 9}`).join(",")}`;
  assert.equal(parseRange(spaced(MAX_RANGES), 1 << 20).kind, "ranges");
  assert.deepEqual(parseRange(spaced(MAX_RANGES + 1), 1 << 20), { kind: "too-many" });
  assert.deepEqual(parseRange(spaced(40), 1 << 20), { kind: "too-many" });
  // 40 touching ranges are one
  const touching = Array.from({ length: 40 }, (_, i) => `${i * 10}-${i * 10 + 9}`).join(",");
  assert.deepEqual(parseRange(`bytes=${touching}`, 1 << 20), {
    kind: "ranges",
    ranges: [{ start: 0, end: 399 }],
  });
});

Deno.test("parseRange() reports unsatisfiable ranges and ignores malformed ones", () => {
  assert.deepEqual(parseRange("bytes=10-", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=-0", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=0-0", 0), { kind: "unsatisfiable" });
  for (
    const bad of [
      "bytes=5-2",
      "bytes=a-b",
      "items=0-1",
      "bytes=-",
      "bytes",
      "bytes=1-2-3",
      "bytes=",
      "bytes= , ",
    ]
  ) {
    assert.deepEqual(parseRange(bad, 10), { kind: "none" }, bad);
  }
});

for (
  const [label, path, content] of [
    ["a cached file", "/hello.txt", new TextEncoder().encode("hello world\n")],
    ["a streamed file", "/big.bin", BIG_BIN],
  ] as const
) {
  Deno.test(`createStaticHandler() serves single ranges of ${label} with 206`, async () => {
    await using site = await makeSite();
    const handler = site.handler();
    const size = content.length;
    for (
      const [spec, start, end] of [
        ["bytes=0-4", 0, 4],
        ["bytes=3-", 3, size - 1],
        ["bytes=-5", size - 5, size - 1],
        ["bytes=2-2", 2, 2],
      ] as const
    ) {
      const res = await request(handler, path, { range: spec });
      assert.equal(res.status, 206, spec);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${size}`, spec);
      assert.equal(res.headers.get("content-length"), String(end - start + 1), spec);
      assert.deepEqual(await bytes(res), content.subarray(start, end + 1), spec);
    }
  });

  Deno.test(`createStaticHandler() answers unsatisfiable ranges of ${label} with 416`, async () => {
    await using site = await makeSite();
    const res = await request(site.handler(), path, { range: `bytes=${content.length}-` });
    await res.body?.cancel();
    assert.equal(res.status, 416);
    assert.equal(res.headers.get("content-range"), `bytes */${content.length}`);
  });

  Deno.test(`createStaticHandler() serves several ranges of ${label} as multipart/byteranges`, async () => {
    await using site = await makeSite();
    const res = await request(site.handler(), path, { range: "bytes=0-1,4-6" });
    assert.equal(res.status, 206);
    const type = res.headers.get("content-type")!;
    const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(type);
    assert.ok(m, type);
    const body = await bytes(res);
    assert.equal(res.headers.get("content-length"), String(body.length));
    const text = new TextDecoder("latin1").decode(body);
    const latin = (b: Uint8Array) => new TextDecoder("latin1").decode(b);
    const parts = text.split(`--${m[1]}`);
    assert.equal(parts.length, 4); // preamble, two parts, closing
    assert.equal(parts[0], "");
    assert.match(parts[1]!, new RegExp(`Content-Range: bytes 0-1/${content.length}\r\n\r\n`));
    assert.ok(parts[1]!.endsWith(`\r\n\r\n${latin(content.subarray(0, 2))}\r\n`));
    assert.ok(parts[2]!.endsWith(`\r\n\r\n${latin(content.subarray(4, 7))}\r\n`));
    assert.equal(parts[3], "--\r\n");
  });
}

Deno.test("createStaticHandler() ignores a malformed Range header and sends the whole file", async () => {
  await using site = await makeSite();
  const res = await request(site.handler(), "/hello.txt", { range: "bytes=zz" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "hello world\n");
});

Deno.test("createStaticHandler() measures a streamed file's ranges as it is now, even right after it changed", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  // the first request caches the file's size; the rewrite lands inside the revalidation window
  await bytes(await request(handler, "/big.bin"));
  const shorter = BIG_BIN.subarray(0, BIG_BIN.length - 1000);
  await Deno.writeFile(`${site.root}/big.bin`, shorter);
  const res = await request(handler, "/big.bin", { range: "bytes=-5" });
  assert.equal(res.status, 206);
  assert.equal(
    res.headers.get("content-range"),
    `bytes ${shorter.length - 5}-${shorter.length - 1}/${shorter.length}`,
  );
  assert.deepEqual(await bytes(res), shorter.subarray(shorter.length - 5));
  const past = await request(handler, "/big.bin", { range: `bytes=${shorter.length}-` });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), `bytes */${shorter.length}`);
});
