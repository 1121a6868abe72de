/**
 * Closing what a dead thread's loop left open. Sockets opened through libc belong to the
 * process, not to the Worker that opened them: when a Worker dies (an uncaught error, or
 * terminate()), its listening socket and its clients stay open, and with SO_REUSEPORT the kernel
 * keeps handing new connections to a listener nobody accepts on. The kernel lists every socket
 * registered in an epoll set in `/proc/self/fdinfo/<epoll fd>`, so the supervisor can close them.
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
