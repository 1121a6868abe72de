/**
 * The listener's accept batch (HAProxy's `maxaccept`) and writev(2) through partial writes, on
 * real sockets.
 */
import assert from "node:assert/strict";
import { encodeSockAddr, LINUX, TcpListener } from "../../lib/loop/mod.ts";
import { Gather } from "../../lib/loop/writev.ts";
import { linux, openLoop } from "./_fixtures.ts";

Deno.test({
  name: "TcpListener takes at most maxAccept connections per round, and all of them in the end",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const perRound = new Map<number, number>();
    const fds: number[] = [];
    const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0, maxAccept: 2 }, {
      onAccept(fd) {
        perRound.set(loop.rounds, (perRound.get(loop.rounds) ?? 0) + 1);
        fds.push(fd);
      },
    });
    // ten clients queued before the loop's first round: connects made synchronously, the
    // handshakes done by the kernel alone
    const { sym } = loop.libc;
    const sa = encodeSockAddr("127.0.0.1", listener.addr.port);
    const clients: number[] = [];
    for (let i = 0; i < 10; i++) {
      const fd = sym.socket(LINUX.AF_INET, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0);
      sym.connect(fd, sa.bytes, sa.bytes.length);
      clients.push(fd);
    }
    const guard = Date.now() + 30_000;
    while (fds.length < 10) {
      assert.ok(Date.now() < guard, `only ${fds.length} of 10 accepted`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(
      [...perRound.values()].every((n) => n <= 2),
      `accepts per round: ${[...perRound.values()].join(", ")}`,
    );
    for (const fd of [...fds, ...clients]) sym.close(fd);
    listener.close();
  },
});

Deno.test({
  name: "Gather.send() sends every part in order through a small socket buffer",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const { sym } = loop.libc;
    const pair = new Int32Array(2);
    const lib = Deno.dlopen("libc.so.6", {
      socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
    });
    try {
      assert.equal(
        lib.symbols.socketpair(
          1, /* AF_UNIX */
          LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK,
          0,
          new Uint8Array(pair.buffer),
        ),
        0,
      );
    } finally {
      lib.close();
    }
    const [a, b] = [pair[0]!, pair[1]!];
    loop.setOption(a, LINUX.SOL_SOCKET, 7, /* SO_SNDBUF */ 4096);
    // small parts too: V8 keeps typed arrays of up to 64 bytes on its heap, where they can move
    const parts = Array.from(
      { length: 40 },
      (_, i) => new Uint8Array(i % 2 ? 2 : 1000 + i).fill(i),
    );
    const want = parts.flatMap((p) => Array.from(p));
    const gather = new Gather(loop);
    const got: number[] = [];
    const buf = new Uint8Array(3000);
    const queue = parts.slice();
    let partial = 0;
    while (queue.length > 0) {
      const n = gather.send(a, queue);
      if (n > 0) {
        // drop what left, keeping the rest of a part the kernel took only some of
        let left = n;
        while (left > 0 && left >= queue[0]!.length) left -= queue.shift()!.length;
        if (left > 0) {
          queue[0] = queue[0]!.subarray(left);
          partial++;
        }
      } else assert.equal(n, -LINUX.EAGAIN);
      const r = sym.recv(b, buf, BigInt(buf.length), 0);
      if (r > 0) got.push(...buf.subarray(0, r));
    }
    for (let r; (r = sym.recv(b, buf, BigInt(buf.length), 0)) > 0;) got.push(...buf.subarray(0, r));
    sym.close(a);
    sym.close(b);
    assert.ok(partial > 0, "the socket buffer cut some writes short");
    assert.equal(got.length, want.length);
    const first = got.findIndex((v, i) => v !== want[i]);
    assert.equal(first, -1, `byte ${first} differs`);
  },
});
