import assert from "node:assert/strict";
import {
  connectSocket,
  decodeSockAddr,
  encodeSockAddr,
  LINUX,
  type SocketHandler,
  TcpListener,
} from "../../lib/loop/mod.ts";
import { RawClient, RawListener } from "../balancer/_raw.ts";
import { echoServer, hasIpv6, linux, openLoop, readN, Recorder } from "./_fixtures.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test({
    name:
      `TcpListener hands over each client with its address; recv() and send() echo (${host}) (Linux; ::1 needs an IPv6 loopback)`,
    ignore: !linux || (host === "::1" && !hasIpv6),
    async fn() {
      await using loop = openLoop();
      const peers: Deno.NetAddr[] = [];
      const buf = new Uint8Array(1024);
      const listener = new TcpListener(loop, { host, port: 0 }, {
        onAccept(fd, peer) {
          peers.push(decodeSockAddr(peer));
          loop.watch(fd, {
            onReadable() {
              const n = loop.recv(fd, buf, buf.length);
              if (n > 0) loop.send(fd, buf, n);
              else if (n !== -LINUX.EAGAIN) loop.close(fd);
            },
            onWritable() {},
            onHangup: () => loop.close(fd),
          });
        },
      });
      assert.equal(listener.addr.hostname, host);
      using conn = await Deno.connect({ hostname: host, port: listener.addr.port });
      await conn.write(enc.encode("hello"));
      assert.equal(dec.decode(await readN(conn, 5)), "hello");
      assert.deepEqual(peers, [{
        transport: "tcp",
        hostname: host,
        port: (conn.localAddr as Deno.NetAddr).port,
      }]);
      await conn.closeWrite();
      assert.equal(await conn.read(buf), null);
      listener.close();
    },
  });
}

Deno.test({
  name:
    "EventLoop.send() gives -EAGAIN when the peer does not read; onWritable comes once it does (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const rec = new Recorder();
    let fd = -1;
    const accepted = Promise.withResolvers<void>();
    const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
      onAccept(client) {
        fd = client;
        loop.watch(fd, rec);
        accepted.resolve();
      },
    });
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    await accepted.promise;
    listener.close();
    const chunk = new Uint8Array(64 * 1024).fill(1);
    let sent = 0;
    let n: number;
    while ((n = loop.send(fd, chunk, chunk.length)) > 0) sent += n;
    assert.equal(n, -LINUX.EAGAIN);
    const writable = rec.next("writable");
    const buf = new Uint8Array(sent);
    let got = 0;
    while (got < sent) got += (await conn.read(buf.subarray(got))) ?? 0;
    await writable;
    assert.ok(loop.send(fd, chunk, 10) === 10);
    loop.close(fd);
  },
});

Deno.test({
  name:
    "onReadable(true) tells the peer's FIN, recv() then gives 0; shutdownWrite() sends ours (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const rec = new Recorder();
    let fd = -1;
    const accepted = Promise.withResolvers<void>();
    const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
      onAccept(client) {
        fd = client;
        loop.watch(fd, rec);
        accepted.resolve();
      },
    });
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    await accepted.promise;
    listener.close();
    const rdhup = rec.next("rdhup");
    await conn.write(enc.encode("last words"));
    await conn.closeWrite();
    await rdhup;
    const buf = new Uint8Array(64);
    assert.equal(dec.decode(buf.subarray(0, loop.recv(fd, buf, 64))), "last words");
    assert.equal(loop.recv(fd, buf, 64), 0);
    // half-closed: our direction still works, then our FIN
    assert.equal(loop.send(fd, enc.encode("reply"), 5), 5);
    assert.equal(loop.shutdownWrite(fd), 0);
    assert.equal(dec.decode(await readN(conn, 64)), "reply");
    loop.close(fd);
  },
});

Deno.test({
  name: "onHangup() tells a reset, and recv() gives -ECONNRESET (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const rec = new Recorder();
    let fd = -1;
    const accepted = Promise.withResolvers<void>();
    const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
      onAccept(client) {
        fd = client;
        loop.watch(fd, rec);
        accepted.resolve();
      },
    });
    const raw = RawClient.connect("127.0.0.1", listener.addr.port);
    await accepted.promise;
    listener.close();
    const hangup = rec.next("hangup");
    raw.reset();
    await hangup;
    assert.equal(loop.recv(fd, new Uint8Array(16), 16), -104); // ECONNRESET
    loop.close(fd);
  },
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test({
    name:
      `connectSocket() to a closed port ends in onHangup with ECONNREFUSED (${host}) (Linux; ::1 needs an IPv6 loopback)`,
    ignore: !linux || (host === "::1" && !hasIpv6),
    async fn() {
      await using loop = openLoop();
      const l = Deno.listen({ hostname: host, port: 0 });
      const port = l.addr.port;
      l.close();
      const rec = new Recorder();
      const hangup = rec.next("hangup");
      const fd = connectSocket(loop, encodeSockAddr(host, port), rec);
      if (fd < 0) {
        assert.equal(fd, -LINUX.ECONNREFUSED); // refused before the call returned
      } else {
        await hangup;
        assert.equal(loop.socketError(fd), LINUX.ECONNREFUSED);
        loop.close(fd);
      }
      assert.equal(loop.watched, 0);
    },
  });
}

Deno.test({
  name: "connectSocket() is connected at its first onWritable and carries bytes both ways (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const server = echoServer(loop);
    const rec = new Recorder();
    const connected = rec.next("writable");
    const fd = connectSocket(loop, encodeSockAddr("127.0.0.1", server.addr.port), rec);
    assert.ok(fd >= 0);
    await connected;
    assert.equal(loop.socketError(fd), 0);
    const readable = rec.next("readable");
    assert.equal(loop.send(fd, enc.encode("ping"), 4), 4);
    await readable;
    const buf = new Uint8Array(8);
    assert.equal(dec.decode(buf.subarray(0, loop.recv(fd, buf, 8))), "ping");
    loop.close(fd);
    server.close();
  },
});

// a listener whose accept queue is full drops SYNs, so a connect hangs until its deadline
Deno.test({
  name: "A connect that hangs is ended by its deadline on the coarse timer (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const script = `
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
fill = []
for _ in range(8):
  c = socket.socket(); c.setblocking(False)
  try: c.connect(s.getsockname())
  except BlockingIOError: pass
  fill.append(c)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;
    const py = new Deno.Command("python3", {
      args: ["-c", script],
      stdin: "piped",
      stdout: "piped",
    })
      .spawn();
    await using _py = {
      async [Symbol.asyncDispose]() {
        await py.stdin.close();
        await py.output();
      },
    };
    const reader = py.stdout.getReader();
    const port = Number(dec.decode((await reader.read()).value).trim());
    reader.releaseLock();
    const rec = new Recorder();
    const fd = connectSocket(loop, encodeSockAddr("127.0.0.1", port), rec);
    assert.ok(fd >= 0);
    const deadline = rec.next("deadline");
    loop.setDeadline(rec, loop.now + 50);
    await deadline;
    assert.ok(!rec.calls.includes("writable"), "the connect did not complete");
    loop.close(fd);
    assert.equal(loop.watched, 0);
  },
});

Deno.test({
  name: "An event fetched for a closed fd never reaches the socket that reuses its number (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const server = echoServer(loop);
    // two client sockets with an echo already waiting, registered together: one epoll_wait
    // returns both events, and whichever runs first closes the other and takes its fd number
    const a = new Recorder();
    const b = new Recorder();
    const fds = [connectSocket(loop, encodeSockAddr("127.0.0.1", server.addr.port), a)];
    fds.push(connectSocket(loop, encodeSockAddr("127.0.0.1", server.addr.port), b));
    await Promise.all([a.next("writable"), b.next("writable")]);
    const reused = new Recorder();
    let newFd = -1;
    const swap = (other: number) => {
      loop.close(other);
      newFd = loop.libc.sym.socket(2, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0);
      assert.equal(newFd, other, "the kernel hands out the lowest free fd");
      loop.watch(newFd, reused);
    };
    let first = true;
    const onFirst = (other: number) => () => {
      if (!first) return;
      first = false;
      swap(other);
    };
    a.onReadable = onFirst(fds[1]!);
    b.onReadable = onFirst(fds[0]!);
    const hangup = reused.next("hangup"); // an unconnected socket reports EPOLLHUP
    for (const fd of fds) loop.send(fd, enc.encode("x"), 1);
    await hangup;
    assert.deepEqual(reused.calls.filter((c) => c !== "hangup" && c !== "writable"), []);
    for (const fd of [...fds, newFd]) {
      if (fd !== -1) {
        try {
          loop.close(fd);
        } catch { /* closed twice is harmless here */ }
      }
    }
    server.close();
  },
});

Deno.test({
  name: "setDeadline() fires once, clearDeadline() never, and a deadline can move (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const server = echoServer(loop); // the loop runs while a socket is registered
    const early = new Recorder();
    const cleared = new Recorder();
    const moved = new Recorder();
    const fired = early.next("deadline");
    loop.setDeadline(early, loop.now + 30);
    loop.setDeadline(cleared, loop.now + 30);
    loop.setDeadline(moved, loop.now + 30);
    loop.setDeadline(moved, loop.now + 60_000);
    loop.clearDeadline(cleared);
    await fired;
    assert.deepEqual(early.calls, ["deadline"]);
    assert.equal(early.timerSlot, -1);
    assert.deepEqual(cleared.calls, []);
    assert.deepEqual(moved.calls, []);
    assert.equal(loop.deadlines, 1);
    loop.clearDeadline(moved);
    server.close();
  },
});

Deno.test({
  name: "setDeadline() beyond 2^31-1 ms waits (it is clamped, not wrapped to 1 ms) (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const server = echoServer(loop);
    const far = new Recorder();
    const near = new Recorder();
    const fired = near.next("deadline");
    loop.setDeadline(far, loop.now + 2 ** 31 + 5);
    loop.setDeadline(near, loop.now + 100);
    await fired;
    assert.deepEqual(far.calls, []);
    loop.clearDeadline(far);
    server.close();
  },
});

Deno.test({
  name:
    "TcpListener with reusePort lets a second listener share the port; without, AddrInUse (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const first = new TcpListener(loop, { host: "127.0.0.1", port: 0, reusePort: true }, {
      onAccept: (fd) => loop.close(fd),
    });
    const port = first.addr.port;
    const second = new TcpListener(loop, { host: "127.0.0.1", port, reusePort: true }, {
      onAccept: (fd) => loop.close(fd),
    });
    assert.equal(second.addr.port, port);
    assert.throws(
      () => new TcpListener(loop, { host: "127.0.0.1", port }, { onAccept: () => {} }),
      Deno.errors.AddrInUse,
    );
    first.close();
    second.close();
    assert.equal(loop.watched, 0);
  },
});

/** Runs `_worker_counts.ts MODE` in a process of its own and returns what it printed. */
async function workerCounts(mode: "stop" | "reap") {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_worker_counts.ts", import.meta.url).pathname, mode],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, `_worker_counts.ts ${mode} failed`);
  return JSON.parse(dec.decode(out.stdout)) as {
    runs: { echoed: string; reaped: number; refused: boolean; parked: number; left: number[] }[];
    start: { fds: number; threads: number };
    end: { fds: number; threads: number };
  };
}

Deno.test({
  name:
    "EventLoop runs inside a Worker, stops there, and leaves descriptors and threads at their starting count (Linux)",
  ignore: !linux,
  async fn() {
    const r = await workerCounts("stop");
    const run = r.runs[0]!;
    assert.equal(run.echoed, "ping");
    assert.equal(run.parked, 1, "the idle loop's wait was not seen parked off-thread");
    assert.deepEqual(
      run.left,
      [],
      "the Worker's thread, or one parked in its loop's wait, is left",
    );
    assert.ok(run.refused, "the Worker's listener still accepts");
    assert.ok(r.end.fds <= r.start.fds, `descriptors ${r.start.fds} -> ${r.end.fds}`);
    assert.ok(r.end.threads <= r.start.threads, `threads ${r.start.threads} -> ${r.end.threads}`);
  },
});

Deno.test({
  name:
    "reapWhenGone() reaps a terminated Worker's loop once its thread is gone, and the wait it left parked returns (Linux)",
  ignore: !linux,
  async fn() {
    const r = await workerCounts("reap");
    assert.equal(r.runs.length, 4);
    for (const [i, run] of r.runs.entries()) {
      assert.equal(run.echoed, "ping");
      assert.equal(run.parked, 1, `reap ${i}: the idle loop's wait was not seen parked off-thread`);
      assert.ok(
        run.reaped >= 3,
        `reap ${i}: ${run.reaped} descriptors reaped (set, wake-up, listener)`,
      );
      assert.deepEqual(
        run.left,
        [],
        `reap ${i}: the Worker's thread, or the wait it left, is left`,
      );
      assert.ok(run.refused, `reap ${i}: the dead Worker's listener still accepts`);
    }
    assert.ok(r.end.fds <= r.start.fds, `descriptors ${r.start.fds} -> ${r.end.fds}`);
    assert.ok(r.end.threads <= r.start.threads, `threads ${r.start.threads} -> ${r.end.threads}`);
  },
});

Deno.test({
  name:
    "an event fetched in one batch for a socket an earlier callback of that batch closed never reaches whoever has its fd now (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    using raw = new RawListener();
    // two connected pairs whose loop-side ends already hold a byte: registered in one turn,
    // both are reported by the same epoll_wait
    const near: RawClient[] = [];
    const far: RawClient[] = [];
    for (let i = 0; i < 2; i++) {
      near.push(RawClient.connect("127.0.0.1", raw.port));
      far.push(await raw.accept());
      far[i]!.send(enc.encode("x"));
    }
    const [a, b] = [near[0]!, near[1]!];
    const calls: { who: string; round: number }[] = [];
    let batch = -1;
    /** The first of the two called takes the other out and gives its fd number to the newcomer. */
    const closer = (self: RawClient, other: RawClient): SocketHandler => ({
      onReadable() {
        calls.push({ who: self === a ? "a" : "b", round: loop.rounds });
        if (batch >= 0) return;
        batch = loop.rounds;
        loop.unwatch(other.fd); // as a close would, and the number is reused at once
        loop.watch(other.fd, {
          onReadable: () => calls.push({ who: "newcomer", round: loop.rounds }),
          onWritable: () => calls.push({ who: "newcomer", round: loop.rounds }),
          onHangup: () => calls.push({ who: "newcomer", round: loop.rounds }),
        });
      },
      onWritable() {},
      onHangup() {},
    });
    const droppedBefore = loop.dropped;
    loop.watch(a.fd, closer(a, b));
    loop.watch(b.fd, closer(b, a));
    while (batch < 0 || loop.rounds === batch) await new Promise((r) => setTimeout(r, 5));
    // one of the two was called, in the batch that held both events; the other's event, fetched
    // in that batch, was dropped rather than given to the newcomer
    assert.equal(calls.filter((c) => c.round === batch).length, 1, JSON.stringify(calls));
    assert.equal(loop.dropped - droppedBefore, 1, "the second event was not in the same batch");
    assert.ok(!calls.some((c) => c.who === "newcomer" && c.round === batch), "the newcomer got it");
    loop.unwatch(a.fd);
    loop.unwatch(b.fd);
    for (const c of [...near, ...far]) c[Symbol.dispose]();
  },
});
