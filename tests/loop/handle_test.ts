import assert from "node:assert/strict";
import { encodeSockAddr, Handle, LINUX, TcpListener } from "../../lib/loop/mod.ts";
import { assertFdClosed, fdLink, linux, openLoop, Recorder } from "./_fixtures.ts";
import { deadPort } from "../_ports.ts";

/** A listener that wraps each accepted fd in a Handle and hands it to `take`. */
function listen(
  loop: ReturnType<typeof openLoop>,
  take: (h: Handle) => void,
  owner?: Recorder,
): TcpListener {
  return new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
    onAccept: (fd) => take(new Handle(loop, fd, owner)),
  });
}

Deno.test({
  name: "Handle.close() clears the deadline, unregisters and closes once; fd reads -1 (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const accepted = Promise.withResolvers<Handle>();
    const server = listen(loop, accepted.resolve);
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    const h = await accepted.promise;
    const fd = h.fd;
    assert.ok(fd >= 0);
    const before = fdLink(fd);
    assert.equal(h.watch(new Recorder()), 0);
    h.setDeadline(loop.now + 60_000);
    assert.equal(loop.deadlines, 1);
    assert.equal(loop.watched, 2);
    assert.equal(h.close(), true);
    assert.equal(h.closed, true);
    assert.equal(h.fd, -1);
    assert.equal(loop.deadlines, 0);
    assert.equal(loop.watched, 1);
    assert.equal(h.close(), false);
    assert.equal(h.reset(), false);
    assert.equal(h.watch(new Recorder()), LINUX.EBADF);
    h.setDeadline(loop.now + 1); // a closed handle takes no deadline
    assert.equal(loop.deadlines, 0);
    assertFdClosed(fd, before);
    server.close();
  },
});

Deno.test({
  name: "Handle passes its deadline to its owner, cleared first (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const owner = new Recorder();
    const accepted = Promise.withResolvers<Handle>();
    const server = listen(loop, accepted.resolve, owner);
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    const h = await accepted.promise;
    const fired = owner.next("deadline");
    h.watch(new Recorder());
    h.setDeadline(loop.now + 20);
    await fired;
    assert.deepEqual(owner.calls, ["deadline"]);
    assert.equal(h.timerSlot, -1);
    h.close();
    server.close();
  },
});

Deno.test({
  name: "Handle.reset() makes the peer see a reset, close() a clean EOF (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const handles: Handle[] = [];
    let arrived = Promise.withResolvers<void>();
    const server = listen(loop, (h) => {
      handles.push(h);
      arrived.resolve();
    });
    using reset = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await arrived.promise;
    arrived = Promise.withResolvers();
    using clean = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await arrived.promise;
    assert.equal(handles[0]!.reset(), true);
    assert.equal(handles[1]!.close(), true);
    await assert.rejects(reset.read(new Uint8Array(8)), Deno.errors.ConnectionReset);
    assert.equal(await clean.read(new Uint8Array(8)), null);
    server.close();
  },
});

Deno.test({
  name: "Handle.connect() reports a refused connect as a hang-up (Linux)",
  ignore: !linux,
  async fn() {
    await using loop = openLoop();
    const port = deadPort(); // held, never listening: no other test's listener takes it
    const rec = new Recorder();
    const hungUp = rec.next("hangup");
    const h = Handle.connect(loop, encodeSockAddr("127.0.0.1", port), rec);
    assert.ok(h instanceof Handle);
    await hungUp;
    assert.equal(loop.socketError(h.fd), LINUX.ECONNREFUSED);
    h.close();
    assert.equal(loop.watched, 0);
  },
});
