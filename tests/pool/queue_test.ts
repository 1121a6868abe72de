import assert from "node:assert/strict";
import { QueueDispatcher } from "../../lib/server/_pool_queue.ts";

Deno.test("QueueDispatcher answers 503 when no worker gets ready in time, and forgets the wait", async () => {
  // no seats at all: every worker is (re)starting
  const queue = new QueueDispatcher(() => [], 20);
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    completed: Promise.resolve(),
  } as const;
  const answers = await Promise.all(
    [1, 2, 3].map(() => queue.handle(new Request("http://127.0.0.1/"), info)),
  );
  for (const res of answers) {
    assert.equal(res.status, 503);
    await res.body?.cancel();
  }
  assert.equal(queue.waiting, 0, "waiters left behind by timed-out requests");
});
