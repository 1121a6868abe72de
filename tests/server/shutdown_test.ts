import assert from "node:assert/strict";
import { spawnNetlab } from "./_spawn.ts";

/** User plus system CPU ticks of one thread of a process (Linux /proc; 100 a second). */
function threadTicks(pid: number, tid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/stat`);
  // fields after the name, which is in parentheses and may hold spaces: utime is the 14th
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Resolves once the server's main thread (where both engines answer) has burned `ticks` more CPU
 * ticks than at the call: an idle server burns next to none, so the CPU route is running. An
 * event, not a guess at how long the request takes to arrive on a busy machine.
 */
async function burning(pid: number, ticks: number): Promise<void> {
  const start = threadTicks(pid, pid);
  for (let i = 0; threadTicks(pid, pid) - start < ticks; i++) {
    if (i > 6000) throw new Error("the work request never started burning CPU");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Bounds a wait that must end long before it: no timing of the server, only a guard so that a
 * server which waits for its idle clients fails the test instead of hanging it.
 */
async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

// the idle timeout is an hour: a server that waits for it instead of closing fails the guard
const IDLE = ["--keepalive-timeout", "3600"];

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `netlab serve finishes the request in flight on ${signal} and exits 0`,
    ignore: Deno.build.os !== "linux", // watches the request start in /proc
    async fn() {
      await using proc = await spawnNetlab(["serve", "--port", "0", "--demo-routes", ...IDLE]);
      // short work: what is left after the signal must fit the 4 s drain on a busy machine too
      const started = burning(proc.child.pid, 10);
      const inFlight = fetch(new URL("_netlab/work?ms=300", proc.url));
      await started; // 100 ms of the 300 burned: the request is in flight
      proc.child.kill(signal);
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal((await res.json()).ms, 300);
      const status = await within("exit after the answer", 60_000, proc.status);
      assert.equal(status.code, 0);
      assert.match(proc.stderr(), /GET \/_netlab\/work\?ms=300 200/);
    },
  });
}

Deno.test("netlab serve exits 0 on SIGTERM with an idle keep-alive connection open", async () => {
  await using proc = await spawnNetlab(["serve", "--port", "0", "--quiet", ...IDLE]);
  const port = Number(new URL(proc.url).port);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n"));
  const buf = new Uint8Array(4096);
  assert.ok((await conn.read(buf))! > 0);
  proc.child.kill("SIGTERM");
  assert.equal((await within("exit with an idle client", 60_000, proc.status)).code, 0);
});
