import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { createStaticResponder } from "../../lib/http/handler.ts";
import { createEnv } from "../../lib/http1/_env.ts";
import type { SessionIO } from "../../lib/http1/_io.ts";
import { Session } from "../../lib/http1/_session.ts";
import { makeFixture } from "../http/_cases.ts";

// The parser and the sessions around it, fed mutated requests: a fixed seed, 100,000 inputs built
// from a corpus of valid and invalid requests. Each input is one connection (delivered in random
// pieces, the peer's FIN after it, sends sometimes short): no exception, no connection left
// open, and every byte written a well-formed response. Only the socket is replaced; the parser,
// the sessions, the fast path and the static handler are the real ones.

const INPUTS = 100_000;
const SEED = 0x5eed1234;
const GUARD_MS = 10_000;

const CORPUS = [
  "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
  "HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
  'GET /prose.txt HTTP/1.1\r\nHost: a:80\r\nAccept-Encoding: br\r\nIf-None-Match: "x"\r\n\r\n',
  "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "GET /sub/a.txt HTTP/1.0\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET http://b.test/sub/a.txt?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",
  "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
  "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "GET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-3\r\n\r\n",
  "GET /sub HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n",
  "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
  "GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n",
  "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
  "get / HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
  "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
  "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n",
];

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [13, 10, 32, 9, 0, 58, 0x80, 0xff, 47, 63, 35, 64, 44, 48, 57, 65, 72];

function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  let b = Array.from(input);
  const n = 1 + Math.floor(rand() * 4);
  const pick = () => Math.floor(rand() * (b.length + 1));
  const byte = () =>
    rand() < 0.6 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256);
  for (let i = 0; i < n; i++) {
    const op = rand();
    const at = pick();
    if (op < 0.25) b[Math.min(at, b.length - 1)] = byte();
    else if (op < 0.45) b.splice(at, 0, byte());
    else if (op < 0.6) b.splice(at, 1 + Math.floor(rand() * 4));
    else if (op < 0.7) b = b.slice(0, at);
    else if (op < 0.8) {
      const from = pick();
      b.splice(at, 0, ...b.slice(from, from + Math.floor(rand() * 40)));
    } else if (op < 0.85) {
      b.splice(at, 0, ...new TextEncoder().encode("X-Long: " + "y".repeat(rand() * 40000)));
    } else if (op < 0.9) {
      b.splice(at, 0, ...new TextEncoder().encode("A: b\r\n".repeat(rand() * 150)));
    } else if (op < 0.95) {
      b.splice(at, 0, ...new TextEncoder().encode(String(Math.floor(rand() * 1e6))));
    } else b.splice(at, 0, ...new TextEncoder().encode("/" + "a".repeat(rand() * 9000)));
  }
  return new Uint8Array(b);
}

/** Checks that `text` is a sequence of well-formed responses; returns how many. */
function checkResponses(text: string): number {
  let at = 0;
  let count = 0;
  const startsReply = (i: number) => i === text.length || text.startsWith("HTTP/1.1 ", i);
  while (at < text.length) {
    const end = text.indexOf("\r\n\r\n", at);
    if (end < 0) throw new Error(`incomplete head: ${JSON.stringify(text.slice(at, at + 100))}`);
    const [statusLine, ...lines] = text.slice(at, end).split("\r\n");
    if (!/^HTTP\/1\.1 [1-5]\d\d [ -~]*$/.test(statusLine!)) {
      throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    }
    let length = -1;
    let chunked = false;
    for (const line of lines) {
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+): ([\t -~\x80-\xff]*)$/.exec(line);
      if (!m) throw new Error(`bad field ${JSON.stringify(line)}`);
      if (m[1] === "content-length") length = Number(m[2]);
      if (m[1] === "transfer-encoding") chunked = m[2] === "chunked";
    }
    at = end + 4;
    count++;
    const status = Number(statusLine!.slice(9, 12));
    if (status < 200 || status === 204 || status === 304) continue;
    if (length >= 0) {
      if (startsReply(at + length)) at += length;
      else if (!startsReply(at)) throw new Error(`body does not match content-length ${length}`);
    } else if (chunked) {
      while (true) {
        const eol = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, eol), 16);
        if (!(size >= 0) || text.slice(eol + 2 + size, eol + 4 + size) !== "\r\n") {
          throw new Error(`bad chunk at ${at}`);
        }
        at = eol + 4 + size;
        if (size === 0) break;
      }
    }
  }
  return count;
}

Deno.test("Session survives 100,000 mutated requests with well-formed answers", async () => {
  await using fixture = await makeFixture();
  const env = createEnv({
    handler: createStaticResponder({ root: fixture.root }),
    accessLogger: null,
    authority: () => "127.0.0.1:8000",
    logger: getLogger(["netlab", "test"]),
    now: 0,
  });
  const rand = mulberry32(SEED);
  const corpus = CORPUS.map((c) => new TextEncoder().encode(c));
  const dec = new TextDecoder("latin1");
  let answers = 0;
  for (let i = 0; i < INPUTS; i++) {
    env.now = i; // a fresh millisecond per connection: the fast path stays trusted throughout
    const parts: Uint8Array[] = [];
    for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
      parts.push(corpus[Math.floor(rand() * corpus.length)]!);
    }
    let input: Uint8Array = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      input.set(p, off);
      off += p.length;
    }
    if (rand() < 0.9) input = mutate(rand, input);
    const out: Uint8Array[] = [];
    const { promise: closed, resolve } = Promise.withResolvers<void>();
    let isClosed = false;
    const short = rand() < 0.2;
    const io: SessionIO = {
      send(bytes, len) {
        if (isClosed) throw new Error("send after close");
        const n = short && len > 1 ? Math.ceil(len / 2) : len;
        out.push(bytes.slice(0, n));
        if (n < len) queueMicrotask(() => session.onWritable(env.now));
        return n;
      },
      close() {
        isClosed = true;
        resolve();
      },
      resume() {},
      setDeadline() {},
    };
    const session = new Session(env, io, "127.0.0.1:1", env.now);
    const buf = new Uint8Array(input.length + 1);
    for (let at = 0; at < input.length && !isClosed;) {
      const take = Math.min(input.length - at, 1 + Math.floor(rand() * input.length));
      buf.set(input.subarray(at, at + take));
      session.onData(buf, take);
      buf.fill(0x41); // the read buffer is reused: a session must not keep a view of it
      at += take;
    }
    session.finish();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const guard = new Promise<"stuck">((r) => timer = setTimeout(() => r("stuck"), GUARD_MS));
    const result = await Promise.race([closed, guard]);
    clearTimeout(timer);
    const text = dec.decode(new Uint8Array(out.flatMap((o) => Array.from(o))));
    assert.notEqual(result, "stuck", `input ${i} left open: ${JSON.stringify(dec.decode(input))}`);
    try {
      answers += checkResponses(text);
    } catch (err) {
      throw new Error(`input ${i} ${JSON.stringify(dec.decode(input))}: ${err}\n${text}`);
    }
  }
  assert.ok(answers > INPUTS / 2, `only ${answers} answers`);
});
