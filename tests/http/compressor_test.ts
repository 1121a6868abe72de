import assert from "node:assert/strict";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { createStaticResponder } from "../../lib/http/handler.ts";
import type { Compressor } from "../../lib/http/compressor.ts";
import { WorkerCompressor } from "../../lib/http/compressor.ts";
import { serve } from "../../lib/server/async.ts";
import type { RunningServer } from "../../lib/server/async.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { type RawReply, rawRequest } from "./_raw_http.ts";

type Encoding = "br" | "gzip";

/** A Compressor whose jobs finish only when the test releases them (real bytes, made then). */
class HeldCompressor implements Compressor {
  jobs: { body: Uint8Array; encoding: Encoding; done: (out: Uint8Array<ArrayBuffer>) => void }[] =
    [];
  #changed = Promise.withResolvers<void>();

  compress(body: Uint8Array, encoding: Encoding): Promise<Uint8Array<ArrayBuffer> | null> {
    const { promise, resolve } = Promise.withResolvers<Uint8Array<ArrayBuffer> | null>();
    this.jobs.push({ body: body.slice(), encoding, done: resolve });
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
    return promise;
  }

  /** Resolves once `n` jobs were asked for; a generous deadline turns a hang into a failure. */
  async asked(n: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (this.jobs.length < n) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => timer = setTimeout(r, deadline - Date.now()));
      await Promise.race([this.#changed.promise, late]).finally(() => clearTimeout(timer));
      if (this.jobs.length < n && Date.now() >= deadline) {
        throw new Error(`${n} compressions asked for, saw ${this.jobs.length}`);
      }
    }
  }

  /** Finishes the jobs of `encoding` asked for so far. */
  release(encoding: Encoding): void {
    for (const job of this.jobs.filter((j) => j.encoding === encoding)) {
      const out = encoding === "br" ? brotliCompressSync(job.body) : gzipSync(job.body);
      job.done(new Uint8Array(out).slice());
    }
    this.jobs = this.jobs.filter((j) => j.encoding !== encoding);
  }
}

const ENGINES = {
  deno: (root: string, compressor: Compressor) =>
    serve({
      root,
      port: 0,
      accessLog: false,
      handler: createStaticResponder({ root, compressor }),
    }),
  epoll: (root: string, compressor: Compressor) =>
    Promise.resolve(
      startHttp1({
        root,
        port: 0,
        accessLog: false,
        handler: createStaticResponder({ root, compressor }),
      }),
    ),
} satisfies Record<string, (root: string, c: Compressor) => Promise<RunningServer>>;

const BIG = "a big page that is being compressed, ".repeat(6000); // ~220 KiB, cached
const SMALL = "a small page, wanted meanwhile. ".repeat(40);

async function site(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-compressor-" });
  await Deno.writeTextFile(`${root}/big.txt`, BIG);
  await Deno.writeTextFile(`${root}/small.txt`, SMALL);
  await Deno.writeTextFile(`${root}/page.txt`, SMALL + SMALL);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

const text = (reply: RawReply): string => {
  const coding = reply.headers.get("content-encoding");
  const body = coding === "gzip"
    ? gunzipSync(reply.body)
    : coding === "br"
    ? brotliDecompressSync(reply.body)
    : reply.body;
  return new TextDecoder().decode(body);
};

for (const [engine, start] of Object.entries(ENGINES)) {
  Deno.test(`${engine} engine answers other files while one file's gzip is being made`, async () => {
    await using fixture = await site();
    const held = new HeldCompressor();
    await using server = await start(fixture.root, held);
    assert.equal(server.engine, engine);
    const get = (path: string, headers: Record<string, string> = {}) =>
      rawRequest(server.addr.port, { path, headers });

    // the first gzip-taking client of big.txt waits for big.txt's own gzip, which is held
    let bigSettled = false;
    const big = get("/big.txt", { "accept-encoding": "gzip" }).finally(() => bigSettled = true);
    await held.asked(1);

    // meanwhile: a plain request and a gzip-taking one for another file are answered at once,
    // the latter uncompressed (it must not wait behind big.txt's gzip), with its own Vary/ETag
    const plain = await get("/small.txt");
    assert.equal(plain.status, 200);
    assert.equal(text(plain), SMALL);
    const early = await get("/small.txt", { "accept-encoding": "gzip" });
    assert.equal(early.status, 200);
    assert.equal(early.headers.get("content-encoding"), null);
    assert.equal(early.headers.get("vary"), "Accept-Encoding");
    assert.equal(early.headers.get("etag"), plain.headers.get("etag"));
    assert.equal(text(early), SMALL);
    assert.equal(bigSettled, false, "big.txt's answer waits for its gzip, still held");
    await held.asked(2); // small.txt's gzip was started by the request above

    held.release("gzip");
    const bigReply = await big;
    assert.equal(bigReply.headers.get("content-encoding"), "gzip");
    assert.match(bigReply.headers.get("etag") ?? "", /-gzip"$/);
    assert.equal(text(bigReply), BIG);

    // the plain stand-in was never replayed as final: the next gzip-taking client gets gzip,
    // and so do the ones after it (on epoll, from the fast path)
    for (let i = 0; i < 3; i++) {
      const later = await get("/small.txt", { "accept-encoding": "gzip" });
      assert.equal(later.headers.get("content-encoding"), "gzip", `request ${i}`);
      assert.notEqual(later.headers.get("etag"), plain.headers.get("etag"));
      assert.equal(text(later), SMALL);
    }
  });

  Deno.test(`${engine} engine sends gzip while brotli is being made, then brotli`, async () => {
    await using fixture = await site();
    const held = new HeldCompressor();
    await using server = await start(fixture.root, held);
    const get = () =>
      rawRequest(server.addr.port, {
        path: "/page.txt",
        headers: { "accept-encoding": "gzip, br" },
      });
    const first = get();
    await held.asked(2); // brotli, and gzip to stand in meanwhile
    held.release("gzip");
    const gz = await first;
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    assert.equal(text(gz), SMALL + SMALL);
    const again = await get();
    assert.equal(again.headers.get("content-encoding"), "gzip", "brotli is still held");
    held.release("br");
    const br = await get();
    assert.equal(br.headers.get("content-encoding"), "br");
    assert.match(br.headers.get("etag") ?? "", /-br"$/);
    assert.equal(text(br), SMALL + SMALL);
  });
}

Deno.test("WorkerCompressor makes gzip and brotli that decompress to the body", async () => {
  using compressor = new WorkerCompressor();
  const body = new TextEncoder().encode(BIG);
  const [gz, br] = await Promise.all([
    compressor.compress(body, "gzip"),
    compressor.compress(body, "br"),
  ]);
  assert.ok(gz !== null && br !== null);
  assert.equal(new TextDecoder().decode(gunzipSync(gz)), BIG);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(br)), BIG);
  const noise = crypto.getRandomValues(new Uint8Array(4096));
  assert.equal(await compressor.compress(noise, "gzip"), null, "does not pay");
});

Deno.test("WorkerCompressor.gzipStream() gzips a stream chunk by chunk, and cancels its source", async () => {
  using compressor = new WorkerCompressor();
  const chunk = new TextEncoder().encode(BIG);
  const chunks = 40; // ~8.6 MiB
  let pulled = 0;
  const source = () =>
    new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled++ === chunks) c.close();
        else c.enqueue(chunk.slice());
      },
    });
  const whole = new Uint8Array(await new Response(compressor.gzipStream(source())).arrayBuffer());
  const plain = gunzipSync(whole);
  assert.equal(plain.length, chunk.length * chunks);
  assert.equal(new TextDecoder().decode(plain.subarray(0, chunk.length)), BIG);
  assert.ok(whole.length < plain.length / 4);

  pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(chunk.slice());
    },
    cancel() {
      cancelled = true;
    },
  });
  const reader = compressor.gzipStream(endless).getReader();
  assert.ok((await reader.read()).value!.length > 0);
  await reader.cancel();
  assert.ok(cancelled, "the source is cancelled with the stream");
  assert.ok(pulled < 100, "the source is read at the consumer's pace, not to the end");
});

Deno.test("createStaticResponder() gzips a streamed file through the compressor", async () => {
  await using fixture = await site();
  const huge = "streamed, not cached. ".repeat(20_000); // ~430 KiB, over the cache limit
  await Deno.writeTextFile(`${fixture.root}/huge.txt`, huge);
  using inner = new WorkerCompressor();
  let streams = 0;
  const compressor: Compressor = {
    compress: (body, encoding) => inner.compress(body, encoding),
    gzipStream: (source) => {
      streams++;
      return inner.gzipStream(source);
    },
  };
  const respond = createStaticResponder({ root: fixture.root, compressor });
  const res = await respond(
    new Request("http://a/huge.txt", { headers: { "accept-encoding": "gzip" } }),
  );
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), null);
  const body = new Uint8Array(await res.arrayBuffer());
  assert.equal(streams, 1);
  assert.equal(new TextDecoder().decode(gunzipSync(body)), huge);
});
