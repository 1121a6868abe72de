/**
 * Closing what a dead thread's loop left open. Sockets opened through libc belong to the
 * process, not to the Worker that opened them: when a Worker dies (an uncaught error, or
 * terminate()), its listening socket and its clients stay open, and with SO_REUSEPORT the kernel
 * keeps handing new connections to a listener nobody accepts on. The kernel lists every socket
 * registered in an epoll set in `/proc/self/fdinfo/<epoll fd>`, so the supervisor can close them.
 *
 * Only once the dead Worker's thread is gone, though: `worker.terminate()` returns before the
 * thread has stopped, and a thread still running could close or send on a descriptor number the
 * supervisor has just closed and someone else reused. {@linkcode reapWhenGone} waits for
 * `/proc/self/task/<thread>` to vanish first. A wait the loop had parked off-thread is woken by
 * the reaping and writes into the loop's native event buffer, which stays allocated (a few KiB
 * per dead loop) because nothing can tell when that write has happened.
 *
 * @module
 */
import { openLibc } from "./_libc.ts";

/**
 * Closes every descriptor registered in the epoll set `epollFd` and then the set itself. Call it
 * only for the loop of a thread that is gone and never closed its set (a number that was closed
 * may since name someone else's descriptor). An eventfd in the set is written first, so an
 * off-thread epoll_wait still parked on the set returns.
 *
 * @returns how many descriptors were closed, the set included (0 when `epollFd` is no epoll set)
 */
export function reapLoop(epollFd: number): number {
  let link: string;
  let info: string;
  try {
    link = Deno.readLinkSync(`/proc/self/fd/${epollFd}`);
    info = Deno.readTextFileSync(`/proc/self/fdinfo/${epollFd}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
  if (link !== "anon_inode:[eventpoll]") return 0;
  const fds = [...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1]));
  const libc = openLibc();
  try {
    const one = new Uint8Array(new BigUint64Array([1n]).buffer);
    for (const fd of fds) {
      let target = "";
      try {
        target = Deno.readLinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      if (target === "anon_inode:[eventfd]") libc.sym.write(fd, one, 8n);
      libc.sym.close(fd);
    }
    libc.sym.close(epollFd);
  } finally {
    libc.close();
  }
  return fds.length + 1;
}

/** The calling thread's id (as `/proc/self/task/<id>` names it), or undefined where unknown. */
export function currentThreadId(): number | undefined {
  try {
    const id = Number(Deno.readLinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined; // not Linux, or no read access to /proc
  }
}

/** Whether thread `id` of this process still exists. */
export function threadAlive(id: number): boolean {
  try {
    Deno.statSync(`/proc/self/task/${id}`);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Reaps the loop `epollFd` of a dead Worker once its thread `thread` is gone (at once when the
 * thread is unknown). A thread that outlasts `limitMs` is left with its loop: a descriptor left
 * open is a smaller harm than one closed under a thread that still uses it.
 *
 * @returns how many descriptors were closed (0 when the thread outlasted the limit)
 */
export async function reapWhenGone(
  thread: number | undefined,
  epollFd: number,
  limitMs = 10_000,
): Promise<number> {
  if (thread !== undefined) {
    for (let waited = 0; threadAlive(thread); waited += 5) {
      if (waited >= limitMs) return 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return reapLoop(epollFd);
}
