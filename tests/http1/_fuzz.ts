/**
 * The HTTP/1.1 session fuzzer: seeded inputs built from a corpus of requests whose answers are
 * known, one of them mutated, delivered to a real {@link Session} (only the socket is replaced)
 * in random pieces with the peer's FIN after them. Every answer must be well framed, the requests
 * in front of the mutated one must get exactly their own answers in order, and the number of
 * answers must fit the number of requests. Used by `fuzz_test.ts` (CI) and `deno task fuzz`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createStaticResponder } from "../../lib/http/handler.ts";
import { createEnv, type Http1Env } from "../../lib/http1/_env.ts";
import type { SessionIO } from "../../lib/http1/_io.ts";
import { Session } from "../../lib/http1/_session.ts";
import { type Answer, checkAnswers } from "./_fuzz_answers.ts";
import { concat } from "../http/_raw_http.ts";

/** One request of the corpus and the answer it must get when sent intact. */
interface Unit {
  bytes: Uint8Array;
  status: number;
  head: boolean;
  /** the connection closes after its answer */
  closes: boolean;
}

const H = "Host: a\r\n";
const FUTURE = "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n";
/** [request, status, closes]; a HEAD's answer has no body. */
export const CORPUS: [string, number, boolean][] = [
  [`GET /hello.txt HTTP/1.1\r\n${H}\r\n`, 200, false],
  [`HEAD /hello.txt HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n`, 200, false],
  [
    `GET /prose.txt HTTP/1.1\r\n${H}Accept-Encoding: br\r\nIf-None-Match: "x"\r\n\r\n`,
    200,
    false,
  ],
  [`GET /prose.txt HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n`, 200, false],
  ["GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, false],
  ["GET /sub/a.txt HTTP/1.0\r\n\r\n", 200, true],
  [`OPTIONS * HTTP/1.1\r\n${H}\r\n`, 204, false],
  [`GET http://b.test/sub/a.txt?q=1 HTTP/1.1\r\n${H}\r\n`, 200, false],
  [`POST /x HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`, 405, false],
  [
    `PUT /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a="b"\r\nhello\r\n0\r\nT: 1\r\n\r\n`,
    405,
    false,
  ],
  [`GET /hello.txt HTTP/1.1\r\n${H}Range: bytes=0-3\r\n\r\n`, 206, false],
  [`GET /hello.txt HTTP/1.1\r\n${H}Range: bytes=0-1,4-5\r\n\r\n`, 206, false],
  [`HEAD /hello.txt HTTP/1.1\r\n${H}${FUTURE}\r\n`, 304, false],
  [`GET /hello.txt HTTP/1.1\r\n${H}${FUTURE}\r\n`, 304, false],
  ["GET /sub HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", 301, false],
  [`GET /missing HTTP/1.1\r\n${H}\r\n`, 404, false],
  [`GET /missing HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 404, true],
  [`POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`, 405, false],
  [`GET /%2e%2e/x HTTP/1.1\r\n${H}\r\n`, 404, false],
  [`GET /big.bin HTTP/1.1\r\n${H}Range: bytes=-10\r\n\r\n`, 206, false],
  [`HEAD /big.bin HTTP/1.1\r\n${H}\r\n`, 200, false],
  [`CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n`, 405, true],
  [`get / HTTP/1.1\r\n${H}\r\n`, 501, true],
  [`GET / HTTP/1.1\r\nHost : a\r\n\r\n`, 400, true],
  [`GET / HTTP/1.1\r\n${H}X: 1\r\n 2\r\n\r\n`, 400, true],
  [`GET / HTTP/2.0\r\n${H}\r\n`, 505, true],
  [`GET / HTTP/1.1\r\n${H}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, true],
  [`GET / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400, true],
  [`GET /\0 HTTP/1.1\r\n${H}\r\n`, 400, true],
];
/** Cheap bodiless requests for long pipelines: the fast path's and the handler's. */
const PIPELINE = [0, 0, 0, 0, 1, 1, 1, 1, 12, 13];
/**
 * The corpus drawn with the fast path's requests (and the refusals) more often than those that
 * await the handler, which cost ten times the CPU: 100,000 inputs stay within seconds.
 */
const DRAW = CORPUS.flatMap(([text, status], k) => {
  const fast = status === 200 &&
    /^(GET|HEAD) \/[a-z]+\.txt HTTP\/1\.[01]\r\n[^]*\r\n\r\n$/.test(text) &&
    !text.includes("Range");
  return Array(fast ? 8 : status >= 400 && status !== 404 && status !== 405 ? 4 : 1).fill(k);
});

const enc = new TextEncoder();
const UNITS: Unit[] = CORPUS.map(([text, status, closes]) => ({
  bytes: enc.encode(text),
  status,
  head: text.startsWith("HEAD "),
  closes,
}));

/** A seeded generator (mulberry32): the same seed, the same inputs. */
export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [13, 10, 32, 9, 0, 58, 59, 34, 0x80, 0xff, 47, 63, 35, 64, 44, 48, 57, 65, 72];
const INSERTS = ["X-Long: ", "A: b\r\n", "\r\n", "0\r\n\r\n", "Transfer-Encoding: chunked\r\n"]
  .map((s) => enc.encode(s));

/** One to four byte-level edits of `input`: replace, insert, delete, cut, copy, grow. */
function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  let b = input;
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * (b.length + 1));
    const op = rand();
    const byte = rand() < 0.6 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : rand() * 256;
    let piece: Uint8Array;
    if (op < 0.25) {
      b = b.slice();
      b[Math.min(at, b.length - 1)] = byte;
      continue;
    } else if (op < 0.5) piece = Uint8Array.of(byte);
    else if (op < 0.65) {
      b = concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 4))]);
      continue;
    } else if (op < 0.7) {
      b = b.subarray(0, at);
      continue;
    } else if (op < 0.8) {
      const from = Math.floor(rand() * b.length);
      piece = b.slice(from, from + Math.floor(rand() * 40));
    } else if (op < 0.81) piece = new Uint8Array(rand() * 40_000).fill(121);
    else if (op < 0.9) piece = INSERTS[Math.floor(rand() * INSERTS.length)]!;
    else if (op < 0.95) piece = enc.encode(String(Math.floor(rand() * 1e6)));
    else piece = new Uint8Array(rand() * 9000).fill(97);
    b = concat([b.subarray(0, at), piece, b.subarray(at)]);
  }
  return b;
}

/** One generated connection: its bytes, the intact requests in front, the mutated one's index. */
export interface Input {
  bytes: Uint8Array;
  /** the intact requests before the mutated one (all of them when none is) */
  intact: Unit[];
  mutated: boolean;
  /** how many more requests could the bytes after the intact ones hold, at most */
  extraMax: number;
}

/** Builds input number `i` (units: mostly a few, one in 1,000 a pipeline of up to 2,000). */
export function makeInput(rand: () => number): Input {
  const long = rand() < 0.001;
  const r = rand();
  // a pipeline's length is log-uniform over 2..2,000: as many below 60 as above
  const count = long ? Math.floor(2 * 1000 ** r) : r < 0.5 ? 1 : r < 0.8 ? 2 : r < 0.9 ? 3 : 4;
  const units: Unit[] = [];
  // half the pipelines repeat one request: 2,000 synchronous 304s in a row, for one
  const one = long && rand() < 0.5 ? [PIPELINE[Math.floor(rand() * PIPELINE.length)]!] : null;
  for (let k = 0; k < count; k++) {
    const from = one ?? (long ? PIPELINE : DRAW);
    units.push(UNITS[from[Math.floor(rand() * from.length)]!]!);
  }
  const mutated = rand() < 0.9;
  const at = mutated ? Math.floor(rand() * count) : count;
  const tail = mutated
    ? mutate(rand, concat(units.slice(at).map((u) => u.bytes)))
    : new Uint8Array();
  const bytes = concat([...units.slice(0, at).map((u) => u.bytes), tail]);
  // every request holds "HTTP/1." (or some other version) in its request line
  let extraMax = 0;
  for (let p = tail.indexOf(72); p >= 0; p = tail.indexOf(72, p + 1)) {
    if (tail[p + 1] === 84 && tail[p + 2] === 84 && tail[p + 3] === 80) extraMax++;
  }
  return { bytes, intact: units.slice(0, at), mutated, extraMax: extraMax + 1 };
}

/** The env every fuzzed session shares, over the fixture at `root`. */
export function fuzzEnv(root: string): Http1Env {
  return createEnv({
    handler: createStaticResponder({ root }),
    accessLogger: null,
    authority: () => "127.0.0.1:8000",
    logger: getLogger(["netlab", "test"]),
    now: 0,
  });
}

/** How long a session may take to close after its FIN before the fuzzer calls it stuck. */
const GUARD_MS = 10_000;

/**
 * Runs one input through a session, as the epoll engine would: reads only while the session
 * reads, a FIN at the end, sends short when `rand` says so. Returns the bytes written.
 */
export async function drive(env: Http1Env, input: Input, rand: () => number): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  const short = rand() < 0.2;
  const io: SessionIO = {
    send(bytes, len) {
      if (closed) throw new Error("send after close");
      const n = short && len > 1 ? Math.ceil(len / 2) : len;
      out.push(bytes.slice(0, n));
      if (n < len) queueMicrotask(() => session.onWritable(env.now));
      return n;
    },
    close() {
      closed = true;
      wake?.();
    },
    resume() {
      wake?.();
    },
    setDeadline() {},
  };
  const session = new Session(env, io, "127.0.0.1:1", env.now);
  const bytes = input.bytes;
  const buf = new Uint8Array(bytes.length + 1);
  let at = 0;
  let finished = false;
  while (!closed) {
    if (!session.reading) {
      await waitFor((r) => wake = r, `input stopped reading at ${at} of ${bytes.length}`);
      wake = null;
      continue;
    }
    if (at === bytes.length) {
      if (finished) {
        await waitFor((r) => wake = r, "input left open after its FIN");
        wake = null;
        continue;
      }
      finished = true;
      session.finish();
      continue;
    }
    const take = Math.min(bytes.length - at, 1 + Math.floor(rand() * bytes.length));
    buf.set(bytes.subarray(at, at + take));
    session.onData(buf, take);
    buf.fill(0x41, 0, take); // the read buffer is reused: a session must not keep a view of it
    at += take;
  }
  return concat(out);
}

async function waitFor(arm: (wake: () => void) => void, stuck: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const woke = new Promise<boolean>((r) => arm(() => r(true)));
  const guard = new Promise<boolean>((r) => timer = setTimeout(() => r(false), GUARD_MS));
  const ok = await Promise.race([woke, guard]);
  clearTimeout(timer);
  if (!ok) throw new Error(stuck);
}

/** Checks what came back for `input`; throws saying what is wrong. Returns the answers. */
export function check(input: Input, written: Uint8Array): Answer[] {
  const text = new TextDecoder("latin1").decode(written);
  const answers = checkAnswers(text, input.intact.map((u) => u.head));
  const closing = input.intact.findIndex((u) => u.closes);
  const own = closing >= 0 ? closing + 1 : input.intact.length;
  for (let k = 0; k < own; k++) {
    const got = answers[k]?.status;
    if (got !== input.intact[k]!.status) {
      throw new Error(`request ${k} answered ${got}, expected ${input.intact[k]!.status}`);
    }
  }
  if (closing >= 0 || !input.mutated) {
    if (answers.length !== own) throw new Error(`${answers.length} answers for ${own} requests`);
  } else if (answers.length > own + input.extraMax) {
    throw new Error(`${answers.length} answers for at most ${own + input.extraMax} requests`);
  }
  return answers;
}
