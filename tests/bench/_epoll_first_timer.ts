/**
 * Run by epoll_transport_test.ts as `deno test` in a process of its own, where the connect timer is the
 * first setTimeout: in Deno's test runner that first call runs the pending microtasks before it
 * returns, so the poller dispatches the connect's outcome before `connected()` waits for it.
 */
import assert from "node:assert/strict";
import { EpollTransport } from "../../lib/balancer/transport/epoll.ts";

Deno.test("EpollTransport.connect() as the first timer of the process", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const t = new EpollTransport();
  try {
    const conn = await t.connect("127.0.0.1", listener.addr.port, 2000);
    assert.equal(conn.remoteAddr.port, listener.addr.port);
    conn.close();
  } finally {
    await t.close();
  }
});
