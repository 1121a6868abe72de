import assert from "node:assert/strict";
import { FileCache } from "../../lib/http/_cache.ts";
import type { FileEntry } from "../../lib/http/_entry.ts";

/** Text that gzip halves, not shrinks to nothing: random hex digits. */
function hexText(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes / 2));
  return Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("FileCache.variant() counts compressed variants against the memory bound", async () => {
  const root = await Deno.makeTempDir({ prefix: "netlab-cache-" });
  try {
    await Deno.writeTextFile(`${root}/a.txt`, hexText(8000));
    await Deno.writeTextFile(`${root}/b.txt`, hexText(8000));
    // room for both bodies (and their per-entry overhead), not for a compressed copy on top
    const cache = new FileCache({
      root,
      maxFileBytes: 10_000,
      maxTotalBytes: 2 * (512 + 8000) + 200,
      revalidateMs: 60_000,
      common: {},
      compress: true,
    });
    const now = Date.now();
    const a = await cache.lookup(`${root}/a.txt`, now) as FileEntry;
    await cache.lookup(`${root}/b.txt`, now);
    assert.equal(cache.fresh(`${root}/a.txt`, now), a, "both bodies fit");
    const gz = cache.variant(a, "gzip");
    assert.ok(gz && gz.body.length > 200 && gz.body.length < 8000);
    assert.equal(cache.fresh(`${root}/a.txt`, now), undefined, "the oldest entry made room");
    assert.ok(cache.fresh(`${root}/b.txt`, now) !== undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("FileCache.lookup() sees a changed or deleted file once the entry is due", async () => {
  const root = await Deno.makeTempDir({ prefix: "netlab-cache-" });
  try {
    const path = `${root}/a.txt`;
    await Deno.writeTextFile(path, "one\n");
    const cache = new FileCache({
      root,
      maxFileBytes: 1000,
      maxTotalBytes: 100_000,
      revalidateMs: 1000,
      common: {},
      compress: true,
    });
    const t0 = Date.now();
    const first = await cache.lookup(path, t0) as FileEntry;
    assert.equal(new TextDecoder().decode(first.body!), "one\n");
    await Deno.writeTextFile(path, "two, longer\n");
    assert.equal(cache.lookup(path, t0 + 500), first, "trusted within revalidateMs");
    const second = await cache.lookup(path, t0 + 1500) as FileEntry;
    assert.equal(new TextDecoder().decode(second.body!), "two, longer\n");
    assert.notEqual(second.etag, first.etag);
    await Deno.remove(path);
    assert.equal(await cache.lookup(path, t0 + 3000), null);
    assert.equal(cache.fresh(path, t0 + 3000), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
