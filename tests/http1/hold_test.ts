/**
 * The session's use of the loop's hold (`EventLoop.hold`): a slow-path answer holds the loop
 * while it awaits the handler or a body, gives the hold back while it waits for the socket (only
 * the loop's own callbacks drain it) and takes it again at the wake-up, before the woken code
 * runs. A fast-path answer never holds. Only the socket and the loop are replaced.
 */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { createEnv } from "../../lib/http1/_env.ts";
import type { SessionIO } from "../../lib/http1/_io.ts";
import { Session } from "../../lib/http1/_session.ts";

const GUARD_MS = 30_000;
const enc = new TextEncoder();

/** Counts what the sessions tell the loop. */
class Holds {
  held = 0;
  holds = 0;
  hold(): void {
    this.held++;
    this.holds++;
  }
  release(): void {
    assert.ok(this.held > 0, "released more than held");
    this.held--;
  }
}

/** A socket that takes at most `room` bytes per send (Infinity: everything). */
class Socket implements SessionIO {
  room = Infinity;
  out: Uint8Array[] = [];
  closed = false;
  send(bytes: Uint8Array, len: number): number {
    if (this.closed) return -1;
    const n = Math.min(len, this.room);
    if (n > 0) this.out.push(bytes.slice(0, n));
    return n;
  }
  close(): void {
    this.closed = true;
  }
  resume(): void {}
  setDeadline(): void {}
  get text(): string {
    return this.out.map((b) => new TextDecoder("latin1").decode(b)).join("");
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const guard = Date.now() + GUARD_MS;
  while (!cond()) {
    assert.ok(Date.now() < guard, `no ${what} within ${GUARD_MS} ms`);
    await new Promise((r) => setTimeout(r, 0));
  }
}

const CHUNK = 300 * 1024;

function send(session: Session, text: string): void {
  const bytes = enc.encode(text);
  session.onData(bytes, bytes.length);
}

function setup(respond: (req: Request) => Response | Promise<Response>) {
  const holds = new Holds();
  const env = createEnv({
    handler: respond,
    accessLogger: null,
    authority: () => "a",
    logger: getLogger(["netlab", "test"]),
    now: 0,
    inFlight: holds,
  });
  const io = new Socket();
  const session = new Session(env, io, "127.0.0.1:1", 0);
  return { holds, io, session };
}

Deno.test("Session holds the loop while it awaits an answer, not while it waits for the socket", async () => {
  const answer = Promise.withResolvers<Response>();
  const { holds, io, session } = setup(() => answer.promise);
  send(session, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(holds.held, 1, "awaiting the handler's promise");

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array(CHUNK).fill(97 + i));
      c.close();
    },
  });
  io.room = 1000; // the head and a little: the first chunk waits for the socket
  answer.resolve(new Response(body, { headers: { "content-length": String(3 * CHUNK) } }));
  await until("wait for the socket", () => holds.held === 0 && io.text.includes("content-length"));
  assert.equal(holds.holds, 1);

  io.room = Infinity;
  session.onWritable(0);
  assert.equal(holds.held, 1, "the wake-up holds before the woken answer runs");
  await until("complete answer", () => holds.held === 0 && io.text.endsWith("c".repeat(100)));
  assert.ok(io.text.startsWith("HTTP/1.1 200 OK\r\n"));
  assert.ok(!io.closed);
});

Deno.test("Session gives the hold back when the connection closes while the answer waits for the socket", async () => {
  const { holds, io, session } = setup(() =>
    new Response(
      new ReadableStream({
        pull(c) {
          c.enqueue(new Uint8Array(CHUNK));
        },
      }),
    )
  );
  io.room = 10;
  send(session, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  await until("wait for the socket", () => holds.held === 0 && holds.holds === 1);
  session.close();
  assert.equal(holds.held, 1, "the close wakes the answer, which holds until it is gone");
  await until("the answer to end", () => holds.held === 0);
  assert.equal(holds.holds, 2);
});

Deno.test("Session never holds the loop for a refused request or a fast-path answer", async () => {
  const { holds, io, session } = setup(() =>
    new Response("hello", { headers: { "content-length": "5", "etag": '"1"' } })
  );
  send(session, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  await until("first answer", () => holds.held === 0 && io.text.endsWith("hello"));
  assert.equal(holds.holds, 1);
  // the first answer was remembered: these come from prebuilt bytes, synchronously
  send(session, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n".repeat(20));
  assert.equal(io.text.split("hello").length - 1, 21);
  assert.equal(holds.holds, 1);
  send(session, "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n");
  await until("the refusal", () => io.closed);
  assert.equal(holds.holds, 1);
  assert.equal(holds.held, 0);
});
