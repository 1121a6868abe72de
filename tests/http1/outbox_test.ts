import assert from "node:assert/strict";
import { FILE_FAILED, FILE_FULL, type SessionIO } from "../../lib/http1/_io.ts";
import { Outbox, Sent } from "../../lib/http1/_outbox.ts";

/** A socket that takes `room` bytes until told otherwise, and a file that has `fileLeft`. */
function fakeIO(o: { room?: number; fileLeft?: number; fail?: boolean } = {}) {
  const state = {
    room: o.room ?? Infinity,
    fileLeft: o.fileLeft ?? Infinity,
    sent: 0,
    closed: [] as number[],
  };
  const io: SessionIO = {
    send(_bytes, len) {
      if (o.fail) return -1;
      const n = Math.min(len, state.room);
      state.room -= n;
      state.sent += n;
      return n;
    },
    close() {},
    resume() {},
    setDeadline() {},
    sendFile(_file, _offset, count) {
      if (o.fail) return FILE_FAILED;
      if (state.fileLeft === 0) return 0;
      if (state.room === 0) return FILE_FULL;
      const n = Math.min(count, state.room, state.fileLeft);
      state.room -= n;
      state.fileLeft -= n;
      state.sent += n;
      return n;
    },
    closeFile(file) {
      state.closed.push(file);
    },
  };
  return { io, state };
}

const HEAD = new Uint8Array(100);

Deno.test("Outbox.sendFile() sends the head, then the file across full sockets, and closes the file once", () => {
  const { io, state } = fakeIO({ room: 50 });
  const out = new Outbox(io, new Uint8Array(1024));
  assert.equal(out.sendFile(HEAD, 7, 0, 1000), Sent.Pending); // the head did not fit
  assert.equal(out.empty, false);
  state.room = 600;
  assert.equal(out.flush(), Sent.Pending); // head done, part of the file
  assert.deepEqual(state.closed, []);
  state.room = Infinity;
  assert.equal(out.flush(), Sent.All);
  assert.equal(state.sent, 1100);
  assert.deepEqual(state.closed, [7]);
  assert.equal(out.empty, true);
  out.release();
  assert.deepEqual(state.closed, [7], "not closed twice");
});

Deno.test("Outbox closes the file when released mid-body, when it ends early, and when the peer is gone", () => {
  const stalled = fakeIO({ room: 500 });
  const a = new Outbox(stalled.io, new Uint8Array(1024));
  assert.equal(a.sendFile(HEAD, 3, 0, 1000), Sent.Pending);
  a.release(); // reset, timeout or stop: the session closes
  assert.deepEqual(stalled.state.closed, [3]);

  const shrunk = fakeIO({ fileLeft: 10 });
  const b = new Outbox(shrunk.io, new Uint8Array(1024));
  assert.equal(b.sendFile(HEAD, 4, 0, 1000), Sent.Short);
  assert.deepEqual(shrunk.state.closed, [4]);

  const gone = fakeIO({ fail: true });
  const c = new Outbox(gone.io, new Uint8Array(1024));
  assert.equal(c.sendFile(HEAD, 5, 0, 1000), Sent.Gone);
  c.release();
  assert.deepEqual(gone.state.closed, [5]);
});

Deno.test({
  name: "Outbox sends the right bytes in the right order through partial writes on a real socket",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { EventLoop, LINUX } = await import("../../lib/loop/mod.ts");
    const { Gather } = await import("../../lib/loop/writev.ts");
    const loop = new EventLoop();
    const { sym } = loop.libc;
    const lib = Deno.dlopen("libc.so.6", {
      socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
    });
    const pair = new Int32Array(2);
    const flags = LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK;
    assert.equal(lib.symbols.socketpair(1, flags, 0, new Uint8Array(pair.buffer)), 0);
    lib.close();
    const [a, b] = [pair[0]!, pair[1]!];
    loop.setOption(a, LINUX.SOL_SOCKET, 7, /* SO_SNDBUF */ 4096);
    const gather = new Gather(loop);
    let shortWrites = 0;
    const io: SessionIO = {
      send(bytes, len) {
        const n = loop.send(a, bytes, len);
        if (n >= 0 && n < len) shortWrites++;
        return n >= 0 ? n : n === -LINUX.EAGAIN ? 0 : -1;
      },
      sendv(parts) {
        const n = gather.send(a, parts);
        if (n >= 0 && n < parts.reduce((t, p) => t + p.length, 0)) shortWrites++;
        return n >= 0 ? n : n === -LINUX.EAGAIN ? 0 : -1;
      },
      close() {},
      resume() {},
      setDeadline() {},
    };
    const got: number[] = [];
    const buf = new Uint8Array(1500);
    const drain = (max = Infinity) => {
      for (let r, k = 0; k < max && (r = sym.recv(b, buf, BigInt(buf.length), 0)) > 0; k++) {
        got.push(...buf.subarray(0, r));
      }
    };
    const part = (i: number, n: number) => new Uint8Array(n).map((_, k) => (i * 31 + k) & 0xff);
    const want: number[] = [];
    const out = new Outbox(io, new Uint8Array(8192));
    // lent bytes (changed by their owner once the call returns), owned ones, queued ones, the batch
    for (let i = 0; i < 30; i++) {
      const bytes = part(i, 500 + 97 * i);
      want.push(...bytes);
      if (i % 3 === 0) {
        out.send(bytes, bytes.length, false);
        bytes.fill(0); // lent: what the outbox kept must be its own copy
      } else if (i % 3 === 1) {
        out.queue(bytes);
        out.flush();
      } else {
        out.append(bytes, bytes.length);
        out.flushBatch(false);
      }
      drain(1); // the reader takes a little at a time
    }
    while (!out.empty) {
      out.flush();
      drain();
    }
    drain();
    sym.close(a);
    sym.close(b);
    await loop.stop();
    assert.ok(shortWrites > 0, "no write was cut short");
    assert.equal(got.length, want.length);
    const first = got.findIndex((v, i) => v !== want[i]);
    assert.equal(first, -1, `byte ${first} differs`);
  },
});
