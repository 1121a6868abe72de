/**
 * The static handler's rules as a table of cases that any transport can run: the handler called
 * directly, `netlab serve`, or a live pool in either dispatch mode (hono's `common.case.test.ts`
 * idea). Each suite names the handler options it needs; {@link makeFixture} builds the root.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { StaticOptions } from "../../lib/http/handler.ts";
import type { RawReply, RawRequest } from "./_raw_http.ts";

/** Sends one request through whatever is under test. */
export type Send = (req: RawRequest) => Promise<RawReply>;

/** One rule of the handler. */
export interface Case {
  name: string;
  request: RawRequest;
  /** Send a first GET and put its ETag in this request's If-None-Match. */
  withEtagOf?: string;
  status: number;
  headers?: Record<string, string | RegExp | null>;
  /**
   * Exact text, a pattern, or the fixture file (or byte range of it, inclusive) whose bytes the
   * body must equal; a gzip body is compared once decoded.
   */
  body?: string | RegExp | { file: string; range?: [number, number] };
  /**
   * What the epoll engine answers instead: its parser sees the request line, where the deno engine
   * sees only `req.url` (RFC 9112 section 3.2.2: an absolute-form target's authority wins).
   */
  epoll?: Pick<Case, "status" | "body">;
}

/** The case as `engine` must answer it. */
export function forEngine(c: Case, engine: "deno" | "epoll"): Case {
  return engine === "epoll" && c.epoll !== undefined ? { ...c, ...c.epoll } : c;
}

/** Cases that share handler options. */
export interface Suite {
  name: string;
  options: Omit<StaticOptions, "root">;
  cases: Case[];
}

const HELLO = "hello, netlab\n";
/** `bytes=` with `n` ten-byte ranges, ten bytes apart (so none merge) or touching. */
function tenByteRanges(n: number, gap: number): string {
  return `bytes=${Array.from({ length: n }, (_, i) => `${i * (10 + gap)}-${i * (10 + gap) + 9}`)}`;
}
const PROSE = "All work and no play makes Jack a dull boy. ".repeat(100);
/** Larger than the handler's memory cache and the pool's inline limit: it must stream. */
const BIG_BYTES = 1024 * 1024 + 123;
/** Text that gzip shrinks only to about 3/4: still larger than the pool's inline limit. */
const NOISE_BYTES = 600 * 1024;

/** A temporary root with the files the cases expect; removed when disposed. */
export async function makeFixture(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "netlab-cases-" });
  await Deno.writeTextFile(`${root}/index.html`, "<h1>home</h1>\n");
  await Deno.writeTextFile(`${root}/hello.txt`, HELLO);
  await Deno.writeTextFile(`${root}/404.html`, "<h1>nothing here</h1>\n");
  await Deno.writeTextFile(`${root}/.secret`, "hidden\n");
  await Deno.writeTextFile(`${root}/prose.txt`, PROSE);
  await Deno.mkdir(`${root}/sub`);
  await Deno.writeTextFile(`${root}/sub/a.txt`, "a\n");
  await Deno.mkdir(`${root}/site.d`);
  await Deno.writeTextFile(`${root}/site.d/LICENSE`, "MIT\n");
  const big = new Uint8Array(BIG_BYTES);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
  await Deno.writeFile(`${root}/big.bin`, big);
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
  let seed = 1;
  const noise = new Uint8Array(NOISE_BYTES);
  for (let i = 0; i < noise.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    noise[i] = letters.charCodeAt((seed >>> 16) & 63);
  }
  await Deno.writeFile(`${root}/noise.txt`, noise);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Every rule, grouped by the options it needs. */
export const SUITES: Suite[] = [
  {
    name: "defaults",
    options: {},
    cases: [
      { name: "serves index.html for /", request: { path: "/" }, status: 200, body: /home/ },
      {
        name: "serves a file with its type and length",
        request: { path: "/hello.txt" },
        status: 200,
        headers: { "content-type": /^text\/plain/, "content-length": String(HELLO.length) },
        body: HELLO,
      },
      {
        name: "answers HEAD with headers and no body",
        request: { method: "HEAD", path: "/hello.txt" },
        status: 200,
        headers: { "content-length": String(HELLO.length) },
        body: "",
      },
      {
        name: "answers a missing file with the root's 404.html",
        request: { path: "/missing.html" },
        status: 404,
        body: /nothing here/,
      },
      {
        name: "redirects a directory without its slash",
        request: { path: "/sub?x=1" },
        status: 301,
        headers: { location: "/sub/?x=1" },
      },
      {
        name: "does not list a directory unless asked",
        request: { path: "/sub/" },
        status: 404,
      },
      { name: "hides dotfiles", request: { path: "/.secret" }, status: 404 },
      {
        name: "refuses an encoded slash",
        request: { path: "/sub%2fa.txt" },
        status: 400,
      },
      {
        name: "never leaves the root",
        request: { path: "/../../../../etc/passwd" },
        status: 404,
        body: /nothing here/,
      },
      {
        name: "refuses other methods with 405 and Allow",
        request: { method: "POST", path: "/hello.txt" },
        status: 405,
        headers: { allow: /GET/ },
      },
      {
        name: "refuses a method it does not know with 501",
        request: { method: "FROB", path: "/hello.txt" },
        status: 501,
      },
      {
        name: "takes method names as case-sensitive: get is not GET",
        request: { method: "get", path: "/hello.txt" },
        status: 501,
      },
      {
        name: "refuses PUT and DELETE with 405 and Allow",
        request: { method: "DELETE", path: "/hello.txt" },
        status: 405,
        headers: { allow: "GET, HEAD" },
      },
      {
        name: "refuses a raw backslash in the path",
        request: { path: "/sub\\a.txt" },
        status: 400,
      },
      {
        name: "serves with a Host that names a port",
        request: { path: "/hello.txt", host: "www.example.test:8080" },
        status: 200,
        body: HELLO,
      },
      {
        name: "serves with an IPv6 literal Host",
        request: { path: "/hello.txt", host: "[::1]:8000" },
        status: 200,
        body: HELLO,
      },
      {
        name: "serves an HTTP/1.0 request without Host",
        request: { path: "/hello.txt", host: null, version: "HTTP/1.0" },
        status: 200,
        body: HELLO,
      },
      ...["a?x", "a/b", "a#b", "u@a", "a b", "", "a:99999", "a:x", "[::1", "a\\b"].map((host) => ({
        name: `refuses Host ${JSON.stringify(host)} with 400`,
        request: { path: "/hello.txt", host },
        status: 400,
      })),
      {
        name: "never lets the Host pick the file: Host a? on /hello.txt is not /",
        request: { path: "/hello.txt", host: "a?" },
        status: 400,
      },
      {
        name: "refuses an absolute-form target naming another authority than Host",
        request: { path: "http://other.test/hello.txt", host: "www.example.test" },
        status: 400,
        epoll: { status: 200, body: HELLO },
      },
      {
        name: "serves an absolute-form target that agrees with Host",
        request: { path: "http://www.example.test/hello.txt", host: "www.example.test" },
        status: 200,
        body: HELLO,
      },
      {
        name: "types an extensionless file by its own name, not its directory's",
        request: { path: "/site.d/LICENSE" },
        status: 200,
        headers: { "content-type": "application/octet-stream" },
        body: "MIT\n",
      },
      {
        name: "answers OPTIONS with 204 and Allow",
        request: { method: "OPTIONS", path: "/hello.txt" },
        status: 204,
        headers: { allow: /GET, HEAD/ },
      },
      {
        name: "serves a byte range",
        request: { path: "/hello.txt", headers: { range: "bytes=0-4" } },
        status: 206,
        headers: { "content-range": `bytes 0-4/${HELLO.length}` },
        body: "hello",
      },
      {
        name: "merges touching ranges into one",
        request: { path: "/prose.txt", headers: { range: tenByteRanges(40, 0) } },
        status: 206,
        headers: { "content-range": `bytes 0-399/${PROSE.length}`, "content-length": "400" },
        body: PROSE.slice(0, 400),
      },
      {
        name: "refuses 40 small ranges with 416, never the whole file",
        request: { path: "/prose.txt", headers: { range: tenByteRanges(40, 10) } },
        status: 416,
        headers: { "content-range": `bytes */${PROSE.length}` },
        body: /416/,
      },
      {
        name: "answers a matching If-None-Match with 304",
        request: { path: "/hello.txt" },
        withEtagOf: "/hello.txt",
        status: 304,
        body: "",
      },
      {
        name: "compresses text for clients that accept gzip",
        request: { path: "/prose.txt", headers: { "accept-encoding": "gzip" } },
        status: 200,
        headers: { "content-encoding": "gzip", vary: /accept-encoding/i },
        body: PROSE,
      },
      {
        // RFC 9110 section 15.4.5, RFC 9111 section 4.3.4: the 304 names what the client holds
        name: "answers If-None-Match with the identity ETag, gzip allowed, with that ETag",
        request: { path: "/prose.txt", headers: { "accept-encoding": "gzip" } },
        withEtagOf: "/prose.txt",
        status: 304,
        headers: { etag: /^"[0-9a-f]+-[0-9a-f]+"$/, vary: /accept-encoding/i },
        body: "",
      },
      {
        name: "lets the higher q-value pick gzip over brotli",
        request: { path: "/prose.txt", headers: { "accept-encoding": "br;q=0.1, gzip;q=1" } },
        status: 200,
        headers: { "content-encoding": "gzip" },
        body: PROSE,
      },
      {
        name: "streams a large file whole",
        request: { path: "/big.bin" },
        status: 200,
        headers: { "content-length": String(BIG_BYTES) },
        body: { file: "big.bin" },
      },
      {
        name: "compresses a large text file on the fly",
        request: { path: "/noise.txt", headers: { "accept-encoding": "gzip" } },
        status: 200,
        headers: { "content-encoding": "gzip", "content-length": null },
        body: { file: "noise.txt" },
      },
      {
        name: "streams a large range of a large file",
        request: { path: "/big.bin", headers: { range: "bytes=1000-400999" } },
        status: 206,
        headers: { "content-range": `bytes 1000-400999/${BIG_BYTES}`, "content-length": "400000" },
        body: { file: "big.bin", range: [1000, 400999] },
      },
      {
        name: "has no demo routes unless asked",
        request: { path: "/_netlab/work?ms=1" },
        status: 404,
      },
      {
        name: "sends no CORS header unless asked",
        request: { path: "/hello.txt" },
        status: 200,
        headers: { "access-control-allow-origin": null },
      },
    ],
  },
  {
    name: "list, cors, no compression, demo routes",
    options: { list: true, cors: true, compress: false, demoRoutes: true },
    cases: [
      { name: "lists a directory", request: { path: "/sub/" }, status: 200, body: /a\.txt/ },
      {
        name: "sends CORS headers",
        request: { path: "/hello.txt" },
        status: 200,
        headers: { "access-control-allow-origin": "*" },
      },
      {
        name: "answers a CORS preflight",
        request: {
          method: "OPTIONS",
          path: "/hello.txt",
          headers: { origin: "http://a.test", "access-control-request-method": "GET" },
        },
        status: 204,
        headers: { "access-control-allow-methods": /GET/ },
      },
      {
        name: "does not compress when told not to",
        request: { path: "/prose.txt", headers: { "accept-encoding": "gzip, br" } },
        status: 200,
        headers: { "content-encoding": null },
      },
      {
        name: "burns CPU on the demo route",
        request: { path: "/_netlab/work?ms=3" },
        status: 200,
        body: /"ms":3/,
      },
      {
        name: "refuses a demo duration over 1000 ms",
        request: { path: "/_netlab/work?ms=1001" },
        status: 400,
      },
    ],
  },
];

/** The body, gunzipped when the reply says gzip. */
async function decoded(reply: RawReply): Promise<Uint8Array> {
  if (reply.headers.get("content-encoding") !== "gzip") return reply.body;
  const plain = new Blob([reply.body.slice()]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(plain).arrayBuffer());
}

/** Runs one case through `send` and asserts what the handler must answer. */
export async function runCase(send: Send, c: Case, root: string): Promise<void> {
  const request = { ...c.request, headers: { ...c.request.headers } };
  if (c.withEtagOf !== undefined) {
    const first = await send({ path: c.withEtagOf });
    const etag = first.headers.get("etag");
    assert.ok(etag, `${c.name}: no ETag on ${c.withEtagOf}`);
    request.headers["if-none-match"] = etag;
  }
  const reply = await send(request);
  assert.equal(reply.status, c.status, `${c.name}: status`);
  for (const [name, want] of Object.entries(c.headers ?? {})) {
    const got = reply.headers.get(name);
    if (want === null) assert.equal(got, null, `${c.name}: ${name} should be absent`);
    else if (typeof want === "string") assert.equal(got, want, `${c.name}: ${name}`);
    else assert.match(got ?? "", want, `${c.name}: ${name}`);
  }
  if (c.body === undefined) return;
  const body = await decoded(reply);
  if (typeof c.body === "object" && "file" in c.body) {
    const [start, end] = c.body.range ?? [0, Infinity];
    const want = (await Deno.readFile(`${root}/${c.body.file}`)).subarray(start, end + 1);
    assert.equal(body.length, want.length, `${c.name}: body length`);
    assert.ok(body.every((b, i) => b === want[i]), `${c.name}: body bytes`);
    return;
  }
  const text = new TextDecoder().decode(body);
  if (typeof c.body === "string") assert.equal(text, c.body, `${c.name}: body`);
  else assert.match(text, c.body, `${c.name}: body`);
}
