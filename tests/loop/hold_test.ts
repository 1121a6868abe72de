/**
 * The loop's contract for async work in flight: while an owner holds it, the loop hands the
 * thread to the JavaScript event loop once per round of events. Counted, not timed: a busy
 * ping-pong inside the loop keeps it dispatching, and `rounds`/`yields` say how often it let other
 * JavaScript run.
 */
import assert from "node:assert/strict";
import {
  connectSocket,
  encodeSockAddr,
  type EventLoop,
  LINUX,
  type SocketHandler,
} from "../../lib/loop/mod.ts";
import { echoServer, linux, openLoop } from "./_fixtures.ts";

/** How long the test waits for progress that must come before it calls the loop stuck. */
const GUARD_MS = 30_000;

/** A client that sends a byte back each time the echo server returns one: events without end. */
function pingPong(loop: EventLoop, port: number): { stop(): void } {
  const buf = new Uint8Array(64);
  const one = new Uint8Array([1]);
  let fd = -1;
  let stopped = false;
  const owner: SocketHandler = {
    onReadable() {
      let n;
      while ((n = loop.recv(fd, buf, buf.length)) > 0) {
        if (!stopped) loop.send(fd, one, 1);
      }
      if (n !== -LINUX.EAGAIN) loop.close(fd);
    },
    onWritable() {
      if (!started) {
        started = true;
        loop.send(fd, one, 1);
      }
    },
    onHangup: () => loop.close(fd),
  };
  let started = false;
  fd = connectSocket(loop, encodeSockAddr("127.0.0.1", port), owner);
  assert.ok(fd >= 0, `connect failed (errno ${-fd})`);
  return {
    stop() {
      stopped = true;
      loop.close(fd);
    },
  };
}

/** Waits until `loop` dispatched `n` more rounds; the wait itself needs hand-overs. */
async function roundsPass(loop: EventLoop, n: number): Promise<void> {
  const target = loop.rounds + n;
  const guard = Date.now() + GUARD_MS;
  while (loop.rounds < target) {
    assert.ok(Date.now() < guard, `the loop dispatched no ${n} rounds in ${GUARD_MS} ms`);
    await Deno.stat("."); // an op: it completes only when the loop hands the thread over
  }
}

Deno.test({
  name: "EventLoop.hold(): while async work is in flight the loop yields once per round (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const echo = echoServer(loop);
    const traffic = pingPong(loop, echo.addr.port);
    await roundsPass(loop, 50); // busy now
    loop.hold();
    assert.equal(loop.held, 1);
    const rounds = loop.rounds;
    const yields = loop.yields;
    // ops awaited one after another: each needs the JavaScript event loop's turn
    for (let i = 0; i < 50; i++) await Deno.stat(".");
    await roundsPass(loop, 200);
    const r = loop.rounds - rounds;
    const y = loop.yields - yields;
    loop.release();
    assert.equal(loop.held, 0);
    traffic.stop();
    echo.close();
    // every round is preceded by a hand-over; one may straddle the hold's start
    assert.ok(y >= r - 1, `${y} hand-overs in ${r} rounds while holding`);
  },
});

Deno.test({
  name: "EventLoop.hold() and release() nest, and an extra release() is ignored (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    loop.hold();
    loop.hold();
    loop.release();
    assert.equal(loop.held, 1);
    loop.release();
    loop.release();
    assert.equal(loop.held, 0);
    loop.hold();
    assert.equal(loop.held, 1);
    loop.release();
  },
});
