/** The perf lock a section takes per load (bench/_lock.ts), against the flock(1) others take. */
import assert from "node:assert/strict";
import { PerfLock } from "../../bench/_lock.ts";

/** Whether `flock -n path` finds the lock free. */
async function free(path: string): Promise<boolean> {
  const out = await new Deno.Command("flock", { args: ["-n", path, "true"] }).output();
  return out.success;
}

Deno.test("PerfLock.run() holds the lock flock(1) takes while its load runs, then frees it", async () => {
  const path = await Deno.makeTempFile({ prefix: "netlab-lock-" });
  try {
    const lock = new PerfLock(path);
    assert.equal(await lock.run(async () => await free(path)), false, "held during the run");
    assert.ok(await free(path), "free after the run");
    await assert.rejects(lock.run(() => Promise.reject(new Error("load failed"))), /load failed/);
    assert.ok(await free(path), "free after a run that threw");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("PerfLock.run() waits while `flock PATH cmd` holds the lock, and counts the wait", async () => {
  const path = await Deno.makeTempFile({ prefix: "netlab-lock-" });
  // `flock PATH cat` holds the lock until its stdin closes
  const holder = new Deno.Command("flock", { args: [path, "cat"], stdin: "piped", stdout: "null" })
    .spawn();
  try {
    const until = Date.now() + 30_000;
    while (await free(path)) {
      assert.ok(Date.now() < until, "flock(1) never took the lock");
      await new Promise((r) => setTimeout(r, 20));
    }
    const lock = new PerfLock(path);
    let ran = false;
    const run = lock.run(() => {
      ran = true;
      return Promise.resolve();
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ran, false, "ran while another process held the lock");
    await holder.stdin.close();
    await run;
    assert.ok(ran);
    assert.ok(lock.waitedMs > 0, `waited ${lock.waitedMs} ms`);
  } finally {
    try {
      await holder.stdin.close();
    } catch {
      // closed above
    }
    await holder.status;
    await Deno.remove(path);
  }
});
