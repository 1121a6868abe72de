/**
 * Child process for the Worker tests: runs one scenario with a Worker that has its own event
 * loop, then prints one JSON line with the descriptors and threads of this process before and
 * after, and which of the Worker's threads are left (its own, and the one its loop's off-thread
 * wait was parked on). A process of its own, so no other test's sockets or threads count.
 *
 * `stop`: the Worker stops its loop, then is terminated. `reap`: it is terminated with its loop
 * parked in an off-thread wait, and the loop is reaped once its thread is gone (four times over:
 * a wait left parked by a racy wake-up showed in about one reap in four). `leak`: it is
 * terminated and nothing more is done (what the counts look like without either).
 */
import { reapWhenGone, threadAlive, threadsWaitingOn } from "../../lib/loop/mod.ts";
import { readN, say } from "./_fixtures.ts";

type Counts = { fds: number; threads: number };
const count = (dir: string) => [...Deno.readDirSync(dir)].length;
const snapshot = (): Counts => ({ fds: count("/proc/self/fd"), threads: count("/proc/self/task") });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls (bounded: 30 s) until `done()`; returns whether it came. A terminated Worker's thread and
 * the wait parked for its loop take about 10 s to go even on a quiet machine, longer on a busy one.
 */
async function until(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    if (done()) return true;
    await sleep(25);
  }
  return done();
}

/** One Worker with a loop: echo once, go idle, end it as `mode` says; its threads. */
async function run(mode: string) {
  const worker = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
  const next = () => new Promise<unknown>((resolve) => worker.onmessage = (e) => resolve(e.data));
  const { port, epollFd, thread } = await next() as {
    port: number;
    epollFd: number;
    thread: number;
  };
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("ping"));
  const echoed = new TextDecoder().decode(await readN(conn, 4));
  conn.close();
  // the loop goes idle: its wait is parked off-thread, on a thread of its own
  let parked: number[] = [];
  await until(() => (parked = threadsWaitingOn(epollFd)).length > 0);
  let reaped = -1;
  if (mode === "stop") {
    const stopped = next();
    worker.postMessage("stop");
    await stopped;
    worker.terminate();
  } else {
    worker.terminate();
    if (mode === "reap") reaped = await reapWhenGone(thread, epollFd, 30_000);
  }
  const refused = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
    c.close();
    return false;
  }, () => true);
  // the Worker's own thread gone, and no thread still waiting on its loop's epoll set (after a
  // reap the set's number is closed, but a wait parked on it still shows it as its argument)
  const left = () => [
    ...(threadAlive(thread) ? [thread] : []),
    ...threadsWaitingOn(epollFd).filter((t) => parked.includes(t)),
  ];
  await until(() => left().length === 0);
  return { echoed, reaped, refused, parked: parked.length, left: left() };
}

// the first Workers open descriptors and threads that Deno keeps for the process, some of them
// a moment later: count once two have come and gone and the count has held for half a second
await run("stop");
await run("stop");
let start = snapshot();
for (let still = 0, i = 0; still < 10 && i < 200; i++) {
  await sleep(50);
  const now = snapshot();
  still = now.fds === start.fds && now.threads === start.threads ? still + 1 : 0;
  start = now;
}
const mode = Deno.args[0] ?? "stop";
const runs = [];
for (let i = 0; i < (mode === "reap" ? 4 : 1); i++) runs.push(await run(mode));
let end = snapshot();
await until(() => {
  end = snapshot();
  return end.fds <= start.fds && end.threads <= start.threads;
});
say(JSON.stringify({ runs, start, end }));
