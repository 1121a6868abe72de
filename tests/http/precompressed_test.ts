/**
 * Precompressed siblings through the handler itself. Each sibling holds text of its own (not the
 * compressed original), so a body tells which file was sent.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { createStaticHandler } from "../../lib/http/handler.ts";

const JS = "console.log('original');\n".repeat(40);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A root with app.js and its siblings (as new as it), old.js with a stale one, and more. */
async function site(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-pre-" });
  const at = new Date(Date.now() - 60_000);
  const write = async (name: string, bytes: Uint8Array | string, mtime = at) => {
    await Deno.writeFile(`${root}/${name}`, typeof bytes === "string" ? enc.encode(bytes) : bytes);
    await Deno.utime(`${root}/${name}`, mtime, mtime);
  };
  await write("app.js", JS);
  await write("app.js.gz", gzipSync("from app.js.gz"));
  await write("app.js.br", brotliCompressSync("from app.js.br"));
  await write("old.js", JS);
  await write("old.js.gz", gzipSync("stale"), new Date(at.getTime() - 3_600_000));
  await write("plain.js", JS);
  await Deno.mkdir(`${root}/sub`);
  await write("sub/index.html", "<h1>sub</h1>\n".repeat(30));
  await write("sub/index.html.gz", gzipSync("from index.html.gz"));
  const outside = await Deno.makeTempDir({ prefix: "netlab-pre-out-" });
  await Deno.writeFile(`${outside}/x.gz`, gzipSync("outside"));
  await write("link.js", JS);
  await Deno.symlink(`${outside}/x.gz`, `${root}/link.js.gz`);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    },
  };
}

function get(path: string, headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request(`http://127.0.0.1${path}`, { method, headers });
}

/** The body as text, decoded by its Content-Encoding. */
async function text(res: Response): Promise<string> {
  const body = new Uint8Array(await res.arrayBuffer());
  const coding = res.headers.get("content-encoding");
  return dec.decode(
    coding === "gzip" ? gunzipSync(body) : coding === "br" ? brotliDecompressSync(body) : body,
  );
}

for (const cached of [true, false]) {
  const how = cached ? "cached" : "streamed";
  Deno.test(`createStaticHandler() sends precompressed siblings as accepted (${how})`, async () => {
    await using s = await site();
    const handler = createStaticHandler({
      root: s.root,
      ...(cached ? {} : { cacheMaxFileBytes: 16 }),
    });
    const gz = await Deno.readFile(`${s.root}/app.js.gz`);
    const res = await handler(get("/app.js", { "accept-encoding": "gzip" }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(res.headers.get("content-length"), String(gz.length));
    assert.equal(res.headers.get("vary"), "Accept-Encoding");
    assert.match(res.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+-gzip"$/);
    assert.equal(await text(res), "from app.js.gz");

    for (
      const [accept, want] of [
        ["gzip, br", "from app.js.br"],
        ["br;q=0.5, gzip", "from app.js.gz"],
        ["br;q=0, *", "from app.js.gz"],
        ["*", "from app.js.br"],
        ["deflate", JS],
        ["", JS],
      ] as [string, string][]
    ) {
      const r = await handler(get("/app.js", { "accept-encoding": accept }));
      assert.equal(await text(r), want, accept);
      assert.equal(r.headers.get("vary"), "Accept-Encoding", accept);
    }
    const identity = await handler(get("/app.js"));
    assert.equal(identity.headers.get("content-encoding"), null);
    assert.equal(await text(identity), JS, "no Accept-Encoding: the file itself");
    assert.equal(identity.headers.get("vary"), "Accept-Encoding");

    const own = await handler(get("/app.js.gz", { "accept-encoding": "gzip" }));
    assert.equal(own.headers.get("content-type"), "application/gzip");
    assert.equal(own.headers.get("content-encoding"), null, "by its own name, a file as any");
    assert.deepEqual(new Uint8Array(await own.arrayBuffer()), gz);

    const range = await handler(get("/app.js", { "accept-encoding": "gzip", range: "bytes=0-3" }));
    assert.equal(range.status, 206);
    assert.equal(range.headers.get("content-encoding"), "gzip");
    assert.equal(range.headers.get("content-range"), `bytes 0-3/${gz.length}`);
    assert.deepEqual(new Uint8Array(await range.arrayBuffer()), gz.subarray(0, 4));

    const etag = res.headers.get("etag")!;
    const again = await handler(
      get("/app.js", { "accept-encoding": "gzip", "if-none-match": etag }),
    );
    assert.equal(again.status, 304);
    await again.body?.cancel();
    const head = await handler(get("/app.js", { "accept-encoding": "br" }, "HEAD"));
    assert.equal(head.headers.get("content-encoding"), "br");
    assert.equal(
      head.headers.get("content-length"),
      String((await Deno.stat(`${s.root}/app.js.br`)).size),
    );
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const index = await handler(get("/sub/", { "accept-encoding": "gzip" }));
    assert.equal(await text(index), "from index.html.gz", "a directory's index too");
  });
}

Deno.test("createStaticHandler() ignores stale, outside and unasked-for siblings", async () => {
  await using s = await site();
  const handler = createStaticHandler({ root: s.root });
  const old = await handler(get("/old.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(old), JS, "a sibling older than its file is never sent");
  const link = await handler(get("/link.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(link), JS, "a sibling resolving outside the root is never sent");
  const off = createStaticHandler({ root: s.root, precompressed: false });
  const res = await off(get("/app.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(res), JS, "precompressed: false compresses on the fly");
});

Deno.test("createStaticHandler() sees a sibling appear and go once it revalidates", async () => {
  await using s = await site();
  let now = Date.now();
  const handler = createStaticHandler({ root: s.root, clock: () => now });
  const before = await handler(get("/plain.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(before), JS);
  await Deno.writeFile(`${s.root}/plain.js.gz`, gzipSync("from plain.js.gz"));
  now += 2000;
  const after = await handler(get("/plain.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(after), "from plain.js.gz");
  await Deno.remove(`${s.root}/plain.js.gz`);
  now += 2000;
  const gone = await handler(get("/plain.js", { "accept-encoding": "gzip" }));
  assert.equal(await text(gone), JS);
});
