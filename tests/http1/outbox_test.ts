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
