import assert from "node:assert/strict";
import { multipartStream, rangeStream } from "../../lib/http/_stream.ts";
import { makeSite } from "./_fixture.ts";

Deno.test("rangeStream() and multipartStream() close their file when cancelled before the first read", async () => {
  await using site = await makeSite();
  const path = `${site.root}/big.bin`;
  const range = { start: 0, end: 9 };
  const streams = [
    (f: Deno.FsFile) => rangeStream(f, range),
    (f: Deno.FsFile) => multipartStream(f, [{ head: new Uint8Array(1), range }], new Uint8Array(1)),
  ];
  for (const make of streams) {
    const file = await Deno.open(path);
    await make(file).cancel();
    await assert.rejects(file.stat(), Deno.errors.BadResource);
  }
});
