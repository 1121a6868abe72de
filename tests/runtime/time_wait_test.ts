import assert from "node:assert/strict";
import { listenError } from "../../lib/errors.ts";
import { checkPortsFree } from "../../lib/lab/_ports.ts";
import { heldOnlyByTimeWait } from "../../lib/runtime/time_wait.ts";

/** Leaves the client's source port in TIME-WAIT: the client closes first, then the server. */
async function timeWaitPort(): Promise<number> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  const port = client.localAddr.port;
  client.close();
  // Wait for the client's FIN, then close: the client side ends in TIME-WAIT.
  await server.read(new Uint8Array(1));
  server.close();
  for (let i = 0; i < 100 && !heldOnlyByTimeWait(port); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return port;
}

const linux = Deno.build.os === "linux";

Deno.test({
  name: "heldOnlyByTimeWait() tells a TIME-WAIT port from a listening or unused one",
  ignore: !linux,
  async fn() {
    const port = await timeWaitPort();
    assert.equal(heldOnlyByTimeWait(port), true);
    assert.throws(() => Deno.listen({ hostname: "127.0.0.1", port }), Deno.errors.AddrInUse);
    using listening = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    assert.equal(heldOnlyByTimeWait(listening.addr.port), false);
  },
});

Deno.test({
  name: "listenError() says a port is held by TIME-WAIT connections rather than in use",
  ignore: !linux,
  async fn() {
    const port = await timeWaitPort();
    let err: unknown;
    try {
      Deno.listen({ hostname: "127.0.0.1", port });
    } catch (e) {
      err = listenError("127.0.0.1", port, e);
    }
    assert.ok(err instanceof Error);
    assert.match(err.message, new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: .*TIME-WAIT`));
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let busyErr: unknown;
    try {
      Deno.listen({ hostname: "127.0.0.1", port: busy.addr.port });
    } catch (e) {
      busyErr = listenError("127.0.0.1", busy.addr.port, e);
    }
    assert.ok(busyErr instanceof Error);
    assert.match(busyErr.message, /: address already in use$/);
  },
});

Deno.test({
  name: "checkPortsFree() waits for a TIME-WAIT port, says so, and stops when aborted",
  ignore: !linux,
  async fn() {
    const port = await timeWaitPort();
    const controller = new AbortController();
    const waited: number[] = [];
    const check = checkPortsFree(
      "127.0.0.1",
      [{ port, what: "balancer", flag: "--balancer-port" }],
      {
        signal: controller.signal,
        onWait: (p) => {
          waited.push(p);
          controller.abort(new Error("stop waiting"));
        },
      },
    );
    await assert.rejects(check, /stop waiting/);
    assert.deepEqual(waited, [port]);
  },
});

Deno.test("checkPortsFree() still fails at once on a port something listens on", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assert.rejects(
    checkPortsFree("127.0.0.1", [{
      port: busy.addr.port,
      what: "balancer",
      flag: "--balancer-port",
    }]),
    /address already in use \(needed by the balancer; change it with --balancer-port\)/,
  );
});
