import assert from "node:assert/strict";
import { FileResponse } from "../../lib/http/file_response.ts";
import { BIG_BIN, bytes, makeSite, request } from "./_fixture.ts";

Deno.test("createStaticHandler() names the file behind a streamed 200 or single range, and streams the same bytes", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const info = await Deno.stat(`${site.root}/big.bin`);

  const whole = await request(handler, "/big.bin");
  assert.ok(whole instanceof FileResponse);
  assert.equal(whole.file.path, `${await Deno.realPath(site.root)}/big.bin`);
  assert.deepEqual(
    { start: whole.file.start, length: whole.file.length, size: whole.file.size },
    { start: 0, length: BIG_BIN.length, size: BIG_BIN.length },
  );
  assert.deepEqual([whole.file.dev, whole.file.ino], [info.dev, info.ino]);
  assert.deepEqual(await bytes(whole), BIG_BIN);

  const range = await request(handler, "/big.bin", { range: "bytes=100-199" });
  assert.equal(range.status, 206);
  assert.ok(range instanceof FileResponse);
  assert.deepEqual([range.file.start, range.file.length], [100, 100]);
  assert.deepEqual(await bytes(range), BIG_BIN.subarray(100, 200));
});

Deno.test("createStaticHandler() names no file for HEAD, gzip, several ranges or a cached file", async () => {
  await using site = await makeSite();
  const handler = site.handler();
  const answers = [
    await request(handler, "/big.bin", {}, "HEAD"),
    await request(handler, "/big.txt", { "accept-encoding": "gzip" }),
    await request(handler, "/big.bin", { range: "bytes=0-0,10-10" }),
    await request(handler, "/hello.txt"),
  ];
  for (const res of answers) {
    assert.ok(!(res instanceof FileResponse), `${res.status} ${res.headers.get("content-type")}`);
    await res.body?.cancel();
  }
});
