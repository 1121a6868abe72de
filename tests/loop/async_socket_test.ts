/** The contract of AsyncSocket, the loop's promise interface (netlab bench's raw engine uses it). */
import assert from "node:assert/strict";
import {
  ASYNC_LOOP_OPTIONS,
  AsyncSocket,
  encodeSockAddr,
  EventLoop,
  LINUX,
  TcpListener,
} from "../../lib/loop/mod.ts";
import { RawClient, RawListener } from "../balancer/_raw.ts";
import { echoServer, hasIpv6, linux } from "./_fixtures.ts";
import { deadPort } from "../_ports.ts";

/** A loop for promise owners that is stopped (and found idle) when the test ends. */
function openAsyncLoop(): EventLoop & AsyncDisposable {
  const loop = new EventLoop({ ...ASYNC_LOOP_OPTIONS, tickMs: 20 });
  return Object.assign(loop, {
    async [Symbol.asyncDispose]() {
      assert.equal(loop.watched, 0, "every socket is closed");
      await loop.stop();
    },
  });
}

/** A Deno listener and an AsyncSocket connected to it, with the accepted Deno.Conn. */
async function pair(loop: EventLoop, host = "127.0.0.1") {
  using listener = Deno.listen({ hostname: host, port: 0 });
  const [sock, peer] = await Promise.all([
    AsyncSocket.connect(loop, encodeSockAddr(host, listener.addr.port)),
    listener.accept(),
  ]);
  return { sock, peer };
}

Deno.test({
  name:
    "AsyncSocket.connect() to a closed port (IPv4, IPv6) rejects with ConnectionRefused and leaves no fd (Linux, IPv6 loopback)",
  ignore: !linux || !hasIpv6,
  async fn() {
    await using loop = openAsyncLoop();
    for (const host of ["127.0.0.1", "::1"]) {
      const addr = encodeSockAddr(host, deadPort(host));
      await assert.rejects(AsyncSocket.connect(loop, addr), (err: Error) => {
        assert.ok(err instanceof Deno.errors.ConnectionRefused, String(err));
        assert.equal(err.message, "Connection refused (os error 111)");
        return true;
      });
      assert.equal(loop.watched, 0);
    }
  },
});

Deno.test({
  name: "AsyncSocket.connect() aborted while pending rejects with Interrupted and leaves no fd",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const addr = encodeSockAddr("127.0.0.1", listener.addr.port);
    const ac = new AbortController();
    // the outcome is an event, dispatched only after this turn: the abort comes first
    const connecting = AsyncSocket.connect(loop, addr, { signal: ac.signal });
    assert.equal(loop.watched, 1);
    ac.abort();
    assert.equal(loop.watched, 0);
    await assert.rejects(connecting, Deno.errors.Interrupted);
    await assert.rejects(
      AsyncSocket.connect(loop, addr, { signal: ac.signal }),
      Deno.errors.Interrupted,
    );
    assert.equal(loop.watched, 0);
  },
});

Deno.test({
  name: "AsyncSocket carries bytes both ways and reads null at the peer's FIN",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    const echo = echoServer(loop);
    const sock = await AsyncSocket.connect(loop, encodeSockAddr("127.0.0.1", echo.addr.port));
    echo.close();
    const buf = new Uint8Array(16);
    const reading = sock.read(buf); // nothing there yet: this one waits for the loop
    assert.equal(await sock.write(new TextEncoder().encode("hi")), 2);
    assert.equal(await reading, 2);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 2)), "hi");
    assert.equal(loop.shutdownWrite(sock.fd), 0); // the echo answers a FIN with its own
    assert.equal(await sock.read(buf), null);
    sock.close();
  },
});

Deno.test({
  name: "AsyncSocket.write() to a peer that does not read waits (EAGAIN), then completes",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    const { sock, peer } = await pair(loop);
    const big = new Uint8Array(32 * 1024 * 1024).fill(7);
    const first = await sock.write(big);
    assert.ok(first < big.length, "the socket buffers cannot hold 32 MiB");
    let sent = first;
    // the buffers are full: the next write waits for the peer to read
    const writing = (async () => {
      while (sent < big.length) sent += await sock.write(big.subarray(sent));
    })();
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    while (got < big.length) got += (await peer.read(buf)) ?? 0;
    await writing;
    assert.equal(sent, big.length);
    sock.close();
    peer.close();
  },
});

Deno.test({
  name: "AsyncSocket.read() rejects with ConnectionReset when the peer resets",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    const accepted = Promise.withResolvers<RawClient>();
    const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
      onAccept: (fd) => accepted.resolve(RawClient.adopt(fd)),
    });
    const [sock, peer] = await Promise.all([
      AsyncSocket.connect(loop, encodeSockAddr("127.0.0.1", listener.addr.port)),
      accepted.promise,
    ]);
    listener.close();
    const reading = sock.read(new Uint8Array(16));
    peer.reset();
    await assert.rejects(reading, Deno.errors.ConnectionReset);
    sock.close();
  },
});

Deno.test({
  name:
    "AsyncSocket.connect() whose peer accepts, answers and resets in the connect's own batch of events resolves, and the reads give the answer, then ConnectionReset (Linux: SO_LINGER)",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    using raw = new RawListener();
    const connecting = AsyncSocket.connect(loop, encodeSockAddr("127.0.0.1", raw.port));
    // the loop polls only after this turn: the connect's outcome, the answer and the reset are
    // all there by its first epoll_wait
    const peer = raw.acceptNow();
    peer.send(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    peer.reset();
    const sock = await connecting;
    assert.equal(
      loop.rounds,
      1,
      "the connect, the answer and the reset came in more than one batch",
    );
    const buf = new Uint8Array(64);
    const n = await sock.read(buf);
    assert.equal(
      new TextDecoder().decode(buf.subarray(0, n ?? 0)),
      "HTTP/1.1 400 Bad Request\r\n\r\n",
    );
    await assert.rejects(sock.read(buf), Deno.errors.ConnectionReset);
    sock.close();
  },
});

Deno.test({
  name: "AsyncSocket.close() settles a pending read and write with BadResource",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    const { sock, peer } = await pair(loop);
    const reading = sock.read(new Uint8Array(16)); // the peer sends nothing
    const big = new Uint8Array(32 * 1024 * 1024);
    // write until a write has to wait: the kernel may move bytes on between two writes (a busy
    // machine did), so one full write does not make the next one wait. A write that went through
    // has settled already and wins the race against two microtask hops; a waiting one does not.
    let writing: Promise<number>;
    for (;;) {
      writing = sock.write(big);
      const now = await Promise.race([
        writing.then(() => "went"),
        Promise.resolve().then(() => {}).then(() => "waits"),
      ]);
      if (now === "waits") break;
    }
    sock.close();
    await assert.rejects(reading, Deno.errors.BadResource);
    await assert.rejects(writing, Deno.errors.BadResource);
    assert.throws(() => sock.close(), Deno.errors.BadResource);
    await assert.rejects(sock.read(new Uint8Array(1)), Deno.errors.BadResource);
    peer.close();
  },
});

Deno.test({
  name: "AsyncSocket.connect() sets TCP_NODELAY",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    const { sock, peer } = await pair(loop);
    const value = new Uint8Array(4);
    const len = new Uint8Array(new Uint32Array([4]).buffer);
    assert.equal(
      loop.libc.sym.getsockopt(sock.fd, LINUX.IPPROTO_TCP, LINUX.TCP_NODELAY, value, len),
      0,
    );
    assert.equal(new DataView(value.buffer).getInt32(0, true), 1);
    sock.close();
    peer.close();
  },
});

Deno.test({
  name:
    "AsyncSocket keeps working after the loop's last socket closed, also when the next opens at once",
  ignore: !linux,
  async fn() {
    await using loop = openAsyncLoop();
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const addr = encodeSockAddr("127.0.0.1", listener.addr.port);
    const buf = new Uint8Array(1);
    for (let round = 0; round < 4; round++) {
      const [first, peer1] = await Promise.all([
        AsyncSocket.connect(loop, addr),
        listener.accept(),
      ]);
      first.close(); // the last socket: the loop's run ends...
      const [next, peer2] = await Promise.all([AsyncSocket.connect(loop, addr), listener.accept()]);
      const reading = next.read(buf); // ...or carries on, and this read is woken
      await peer2.write(new Uint8Array([round]));
      assert.equal(await reading, 1);
      assert.equal(buf[0], round);
      next.close();
      peer1.close();
      peer2.close();
    }
  },
});
