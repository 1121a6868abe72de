/**
 * A backend that fails after the connect: it is not held against the backend, the client's
 * bytes are never sent elsewhere, and the client learns of it at once (with a reset on the
 * epoll engine, after everything the backend sent before it failed).
 */
import assert from "node:assert/strict";
import { collectLogs, delay, engineTest, nameBackend, startOn } from "./_helpers.ts";
import { RawClient, RawListener } from "./_raw.ts";
import type { Pickable, Strategy } from "../../lib/balancer/strategies/mod.ts";

const LINUX_ONLY = { ignore: Deno.build.os !== "linux" };
const enc = new TextEncoder();
const EAGAIN = -11;

/** Waits (bounded) until `ok()` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 12_000; i++) {
    if (ok()) return;
    await delay(5);
  }
  assert.fail(what);
}

/**
 * Always the first candidate; the second pick holds the balancer's thread until the backend has
 * reset the first connection, so that the balancer sees the reset and the end of its connect in
 * one event (as a busy balancer does).
 */
class HoldSecondPick implements Strategy {
  readonly name = "round-robin";
  #picks = 0;
  #signal: Int32Array | undefined;
  constructor(signal: Int32Array | undefined) {
    this.#signal = signal;
  }
  pick<B extends Pickable>(candidates: readonly B[]): B | undefined {
    // bounded far past a busy machine's reset: only a backend that never resets ends it
    if (++this.#picks === 2 && this.#signal) Atomics.wait(this.#signal, 0, 0, 30_000);
    return candidates[0];
  }
}

/** The resetting backend's Worker and its port. */
async function resetter(signal: Int32Array): Promise<{ port: number } & Disposable> {
  const worker = new Worker(new URL("./_resetter_worker.ts", import.meta.url), { type: "module" });
  const port = await new Promise<number>((resolve) => {
    worker.onmessage = (e) => resolve(e.data as number);
    worker.postMessage({ signal });
  });
  return { port, [Symbol.dispose]: () => worker.terminate() };
}

/** Reads what comes until the end: the bytes, and the errno it ended with (0: a FIN). */
async function readEnd(c: RawClient): Promise<{ got: string; errno: number }> {
  const buf = new Uint8Array(4096);
  let got = "";
  let end = 1;
  await until(() => {
    const n = c.recvErrno(buf);
    if (n > 0) got += new TextDecoder().decode(buf.subarray(0, n));
    else if (n === 0) end = 0;
    else if (n !== EAGAIN) end = -n;
    return end !== 1;
  }, "the client was left open");
  return { got, errno: end };
}

engineTest(
  "Balancer closes the client at once when its backend reads the request and resets: no redispatch, no down mark (Linux)",
  async (engine) => {
    await using logs = await collectLogs("warning");
    const signal = new Int32Array(new SharedArrayBuffer(4));
    using bad = await resetter(signal);
    await using other = nameBackend("other");
    await using lb = await startOn(engine, {
      port: 0,
      backends: [
        { host: "127.0.0.1", port: bad.port, weight: 1 },
        { host: "127.0.0.1", port: other.port, weight: 1 },
      ],
      // the race is the epoll engine's (Deno.net connects before it reads the client)
      strategy: new HoldSecondPick(engine === "epoll" ? signal : undefined),
      healthIntervalMs: 60_000,
      healthFall: 1, // a single failed connect would mark it down: none may count
    });
    const request = enc.encode("GET /page.html?resetter HTTP/1.1\r\nHost: x\r\n\r\n");
    // both connect and send in one turn, so the balancer takes them in one round
    using a = RawClient.connect("127.0.0.1", lb.addr.port);
    a.send(request);
    using b = RawClient.connect("127.0.0.1", lb.addr.port);
    b.send(request);
    for (const c of [a, b]) {
      const { got, errno } = await readEnd(c);
      assert.equal(got, "", "an answer came from somewhere");
      // the epoll engine passes the reset on. Deno.net often reads a reset as a clean end (a
      // FIN, passed on as one): the client then ends its side too
      assert.equal(errno, engine === "epoll" ? 104 : 0);
      if (engine === "deno") c[Symbol.dispose]();
    }
    const lines = () => logs.lines.join("\n");
    await until(() => lb.stats().active === 0, `the balancer still holds a connection\n${lines()}`);
    assert.equal(other.accepted, 0, "the request was replayed to the other backend");
    const [first] = lb.stats().backends;
    assert.equal(first!.state, "up", lines());
    assert.equal(first!.failures, 0);
    if (engine === "epoll") {
      assert.ok(logs.lines.some((l) => l.includes("failed before answering")), lines());
    }
  },
  LINUX_ONLY,
);

engineTest(
  "Balancer forwards 7 bytes a backend sent just before its reset, then resets the client (Linux)",
  async (engine) => {
    using raw = new RawListener();
    await using lb = await startOn(engine, {
      port: 0,
      backends: [{ host: "127.0.0.1", port: raw.port, weight: 1 }],
      healthIntervalMs: 0,
    });
    using client = RawClient.connect("127.0.0.1", lb.addr.port);
    const request = enc.encode("GET /close-delimited HTTP/1.0\r\n\r\n");
    client.send(request);
    using b = await raw.accept();
    // the whole request is through: nothing of the client's is left unread in the balancer,
    // whose close would then be a reset anyway
    await until(() => lb.stats().bytesUp === request.length, "the request never went through");
    // in one turn: bytes, then a reset, before the balancer has read the bytes
    b.send(enc.encode("7 bytes"));
    b.reset();
    const { got, errno } = await readEnd(client);
    assert.equal(got, "7 bytes");
    // the epoll engine passes the reset on; Deno.net closes (it cannot reset a socket)
    if (engine === "epoll") assert.equal(errno, 104, "the client saw a clean end, not the reset");
  },
  LINUX_ONLY,
);
