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
 * `/proc/self/task/<thread>` to vanish first.
 *
 * The loop's off-thread epoll_wait outlives its thread: Deno parked it on a thread of its
 * blocking pool. Closing the set does not wake it (the call holds its own reference), and
 * writing the set's eventfd and closing that eventfd at once does not either: the write wakes
 * the waiter, but the close takes the eventfd out of the set before the waiter has collected its
 * event, and a waiter that finds nothing ready goes back to sleep, for good. So the eventfd is
 * written and left open (it stays ready: the loop never reads it) until every thread that was
 * parked on the set is seen out of that wait; only then is anything closed. The wait writes
 * into the loop's native event buffer, which stays allocated (a few KiB per dead loop).
 *
 * @module
 */
import { openLibc } from "./_libc.ts";

/** epoll_wait, epoll_pwait and epoll_pwait2 as `/proc/<tid>/syscall` numbers them. */
const EPOLL_WAITS = Deno.build.arch === "x86_64" ? ["232", "281", "441"] : ["22", "441"];
const POLL_MS = 5;

/** The descriptors registered in the epoll set `epollFd`, or undefined when it is no epoll set. */
function members(epollFd: number): number[] | undefined {
  let link: string;
  let info: string;
  try {
    link = Deno.readLinkSync(`/proc/self/fd/${epollFd}`);
    info = Deno.readTextFileSync(`/proc/self/fdinfo/${epollFd}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  if (link !== "anon_inode:[eventpoll]") return undefined;
  return [...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1]));
}

function isEventFd(fd: number): boolean {
  try {
    return Deno.readLinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[eventfd]";
  } catch {
    return false; // closed meanwhile
  }
}

/** What `/proc/self/task/<id>/syscall` says now: "running", a syscall line, or "" (gone). */
function syscallOf(id: number): string {
  try {
    return Deno.readTextFileSync(`/proc/self/task/${id}/syscall`);
  } catch {
    return ""; // the thread ended, or no read access
  }
}

/** Whether a `/proc/<tid>/syscall` line is a thread blocked in an epoll wait on `epfd`. */
function waitsOn(line: string, epfd: number): boolean {
  const [nr, first] = line.split(" ");
  return EPOLL_WAITS.includes(nr!) && first === `0x${epfd.toString(16)}`;
}

/** The threads of this process blocked in an epoll wait on the set `epfd` now. */
export function threadsWaitingOn(epfd: number): number[] {
  const found: number[] = [];
  for (const task of Deno.readDirSync("/proc/self/task")) {
    const id = Number(task.name);
    if (waitsOn(syscallOf(id), epfd)) found.push(id);
  }
  return found;
}

/**
 * Whether thread `id` has left its epoll wait on `epfd`: gone, or seen blocked elsewhere. A
 * thread seen running may be the woken waiter still collecting its event, so it does not count.
 */
function leftWait(id: number, epfd: number): boolean {
  const line = syscallOf(id);
  return line === "" || (!line.startsWith("running") && !waitsOn(line, epfd));
}

/**
 * Closes every descriptor registered in the epoll set `epollFd` and then the set itself. Call it
 * only for the loop of a thread that is gone and never closed its set (a number that was closed
 * may since name someone else's descriptor), and with no wait parked on the set: one would never
 * be woken ({@linkcode reapWhenGone} sees to both).
 *
 * @returns how many descriptors were closed, the set included (0 when `epollFd` is no epoll set)
 */
export function reapLoop(epollFd: number): number {
  const fds = members(epollFd);
  if (fds === undefined) return 0;
  const libc = openLibc();
  try {
    for (const fd of fds) libc.sym.close(fd);
    libc.sym.close(epollFd);
  } finally {
    libc.close();
  }
  return fds.length + 1;
}

/** Writes every eventfd registered in `epollFd`, which wakes a wait parked on the set for good. */
function wakeWaits(epollFd: number): void {
  const libc = openLibc();
  try {
    const one = new Uint8Array(new BigUint64Array([1n]).buffer);
    for (const fd of members(epollFd) ?? []) {
      if (isEventFd(fd)) libc.sym.write(fd, one, 8n);
    }
  } finally {
    libc.close();
  }
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

/** Polls `done()` every POLL_MS until it holds or `deadline` (performance.now()) has passed. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/**
 * Reaps the loop `epollFd` of a dead Worker once its thread `thread` is gone (at once when the
 * thread is unknown) and the wait it left parked off-thread has been woken and has returned.
 * What outlasts `limitMs` is left with its loop: a descriptor left open is a smaller harm than
 * one closed under a thread that still uses it, or a wait that would then never return.
 *
 * @returns how many descriptors were closed (0 when the limit ran out first)
 */
export async function reapWhenGone(
  thread: number | undefined,
  epollFd: number,
  limitMs = 10_000,
): Promise<number> {
  const deadline = performance.now() + limitMs;
  if (thread !== undefined && !await until(() => !threadAlive(thread), deadline)) return 0;
  if (members(epollFd) === undefined) return 0;
  const parked = threadsWaitingOn(epollFd);
  wakeWaits(epollFd);
  if (!await until(() => parked.every((id) => leftWait(id, epollFd)), deadline)) return 0;
  return reapLoop(epollFd);
}
