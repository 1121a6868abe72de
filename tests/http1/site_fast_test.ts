/**
 * The epoll engine's fast path with the site features: a precompressed sibling is replayed like
 * any cached file, an answer given to credentials is never replayed to a request without them,
 * and the SPA page (which varies with Accept) is never replayed at all. The handler is wrapped to
 * count the requests it answers: a pipelined batch the fast path serves reaches it fewer times
 * than it has requests.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startHttp1 } from "../../lib/server/epoll.ts";
import { createStaticResponder, type StaticOptions } from "../../lib/http/handler.ts";
import { type Credential, credentialFromFlag } from "../../lib/http/_credentials.ts";
import { exchange, splitReplies } from "./_wire.ts";

const JS = "console.log('original');\n".repeat(40);
const BATCH = 8;

async function server(options: Omit<StaticOptions, "root">) {
  const root = await Deno.makeTempDir({ prefix: "netlab-fast-site-" });
  await Deno.writeTextFile(`${root}/index.html`, "<!doctype html><p>app</p>\n");
  await Deno.writeTextFile(`${root}/app.js`, JS);
  await Deno.writeFile(`${root}/app.js.gz`, gzipSync("from app.js.gz"));
  const base = createStaticResponder({ root, ...options });
  const counter = { calls: 0 };
  const s = startHttp1({
    root,
    port: 0,
    accessLog: false,
    handler: (req, info) => {
      counter.calls++;
      return base(req, info);
    },
  });
  return {
    port: s.addr.port,
    counter,
    async [Symbol.asyncDispose]() {
      await s.shutdown();
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** `n` pipelined copies of a GET with `headers`, the last closing the connection. */
function batch(path: string, headers: string, n: number): string {
  let text = "";
  for (let i = 0; i < n; i++) {
    const close = i === n - 1 ? "Connection: close\r\n" : "";
    text += `GET ${path} HTTP/1.1\r\nHost: a\r\n${headers}${close}\r\n`;
  }
  return text;
}

Deno.test("startHttp1() replays a precompressed sibling from the fast path", async () => {
  await using s = await server({});
  const gz = "Accept-Encoding: gzip\r\n";
  await exchange(s.port, batch("/app.js", gz, 1)); // the handler answers and it is recorded
  const before = s.counter.calls;
  const raw = await exchange(s.port, batch("/app.js", gz, BATCH));
  const replies = splitReplies(raw);
  assert.equal(replies.length, BATCH);
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-encoding"), "gzip");
    assert.equal(r.headers.get("vary"), "Accept-Encoding");
  }
  assert.ok(s.counter.calls - before < BATCH, `handler asked ${s.counter.calls - before} times`);
});

Deno.test("startHttp1() never replays an authorized answer to a request without credentials", async () => {
  await using s = await server({ auth: [credentialFromFlag("ann:pw") as Credential] });
  const good = `Authorization: Basic ${btoa("ann:pw")}\r\n`;
  const first = splitReplies(await exchange(s.port, batch("/app.js", good, 1)));
  assert.equal(first[0]!.status, 200);
  // recorded now: the same target and coding with no, wrong or other credentials must be refused
  for (const headers of ["", `Authorization: Basic ${btoa("ann:px")}\r\n`, "X-Other: 1\r\n"]) {
    const replies = splitReplies(await exchange(s.port, batch("/app.js", headers, BATCH)));
    assert.equal(replies.length, BATCH);
    for (const r of replies) assert.equal(r.status, 401, JSON.stringify(headers));
  }
  const before = s.counter.calls;
  const again = splitReplies(await exchange(s.port, batch("/app.js", good, BATCH)));
  for (const r of again) assert.equal(r.status, 200);
  assert.ok(s.counter.calls - before < BATCH, "the same credentials do take the fast path");
});

Deno.test("startHttp1() never replays the SPA page, which depends on Accept", async () => {
  await using s = await server({ spa: "index.html" });
  const html = "Accept: text/html\r\n";
  const replies = splitReplies(await exchange(s.port, batch("/users/42", html, 2)));
  for (const r of replies) assert.equal(r.status, 200);
  const other = splitReplies(await exchange(s.port, batch("/users/42", "Accept: */*\r\n", 2)));
  for (const r of other) assert.equal(r.status, 404, "a fetch() of a missing path stays a 404");
});
