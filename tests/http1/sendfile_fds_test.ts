import assert from "node:assert/strict";
import { spawnNetlab } from "../server/_spawn.ts";
import { Client, LARGE, largeSite, until } from "./_files.ts";

// Counted in a process of its own: the test runner's descriptors come and go with other tests.
const openFds = (pid: number) => Array.from(Deno.readDirSync(`/proc/${pid}/fd`)).length;
const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: a.test\r\n${extra}\r\n`;

/** The count once it has stopped changing (closes in the child land just after ours). */
async function settled(pid: number): Promise<number> {
  let last = -1;
  let now = openFds(pid);
  while (now !== last) {
    await new Promise((r) => setTimeout(r, 200));
    last = now;
    now = openFds(pid);
  }
  return now;
}

Deno.test({
  name:
    "netlab serve --engine epoll: after files sent whole, in ranges, reset, timed out and shrunk mid-body, its descriptors are back where they started",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using site = await largeSite();
    await Deno.writeFile(`${site.root}/shrink.bin`, site.large);
    await using proc = await spawnNetlab([
      "serve",
      "--engine",
      "epoll",
      "--root",
      site.root,
      "--port",
      "0",
      "--quiet",
      "--send-timeout",
      "1",
    ]);
    const port = Number(new URL(proc.url).port);
    const pid = proc.child.pid;
    const whole = async (range?: [number, number]) => {
      using c = await Client.connect(port);
      const extra = range ? `Range: bytes=${range[0]}-${range[1]}\r\n` : "";
      await c.send(GET("/large.bin", `${extra}Connection: close\r\n`));
      const head = await c.head();
      assert.equal(head.status, range ? 206 : 200);
      const want = range ? site.large.subarray(range[0], range[1] + 1) : site.large;
      assert.deepEqual(await c.body(want.length), want);
      assert.equal(await c.drain(), 0);
    };
    await whole(); // the runtime opens what it needs on first use
    const before = await settled(pid);

    for (let i = 0; i < 3; i++) {
      await whole();
      await whole([i * 1000, LARGE - 1 - i * 1000]);
    }
    for (let i = 0; i < 5; i++) {
      const c = await Client.connect(port);
      await c.send(GET("/large.bin"));
      await c.head();
      await c.body(50_000);
      c.conn.close(); // unread bytes: a reset
    }
    // two clients that stop reading: their socket and file stay open until --send-timeout
    const stalled = await Promise.all([0, 1].map(async () => {
      const c = await Client.connect(port);
      await c.send(GET("/large.bin"));
      await c.head();
      return c;
    }));
    await until(() => openFds(pid) <= before, "the send timeout to close the stalled clients");
    for (const c of stalled) {
      assert.ok(await c.drain() < LARGE);
      c[Symbol.dispose]();
    }
    {
      using c = await Client.connect(port);
      await c.send(GET("/shrink.bin"));
      await c.head();
      await c.body(1000);
      await Deno.truncate(`${site.root}/shrink.bin`, 1000);
      assert.ok(await c.drain() < LARGE - 1000);
    }
    await until(() => openFds(pid) <= before, `descriptors back to ${before}`);
    assert.equal(await settled(pid), before);
  },
});
