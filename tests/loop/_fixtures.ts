/** Helpers for the event-loop contract tests: a loop that stops at test end, an echo server. */
import {
  EventLoop,
  LINUX,
  type SocketHandler,
  TcpListener,
  type Timed,
} from "../../lib/loop/mod.ts";

export const linux = Deno.build.os === "linux";

/** Writes one line to stdout (child processes report to the test this way). */
export function say(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

/** Whether `::1` can be bound here. */
export const hasIpv6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

/** A loop that is stopped (and found idle) when the test ends. */
export function openLoop(): EventLoop & AsyncDisposable {
  const loop = new EventLoop({ tickMs: 20 });
  return Object.assign(loop, {
    async [Symbol.asyncDispose]() {
      await loop.stop();
    },
  });
}

/** Every callback a socket got, in order, and a way to wait for the next one. */
export class Recorder implements SocketHandler, Timed {
  calls: string[] = [];
  timerSlot = -1;
  #waiters: { what: string; resolve: () => void }[] = [];

  #note(what: string): void {
    this.calls.push(what);
    this.#waiters = this.#waiters.filter((w) => {
      if (w.what !== what) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves at the next call of `what` ("readable", "rdhup", "writable", "hangup", "deadline"). */
  next(what: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ what, resolve });
    return promise;
  }

  onReadable(rdhup: boolean): void {
    this.#note(rdhup ? "rdhup" : "readable");
  }
  onWritable(): void {
    this.#note("writable");
  }
  onHangup(): void {
    this.#note("hangup");
  }
  onDeadline(): void {
    this.#note("deadline");
  }
}

/** An echo server on `loop`: every byte back, FIN answered with FIN and close. */
export function echoServer(loop: EventLoop, host = "127.0.0.1"): TcpListener {
  const buf = new Uint8Array(16 * 1024);
  return new TcpListener(loop, { host, port: 0 }, {
    onAccept(fd) {
      const echo: SocketHandler = {
        onReadable() {
          while (true) {
            const n = loop.recv(fd, buf, buf.length);
            if (n > 0) {
              loop.send(fd, buf, n); // small test payloads: the socket buffer takes them
              continue;
            }
            if (n !== -LINUX.EAGAIN) loop.close(fd);
            return;
          }
        },
        onWritable() {},
        onHangup: () => loop.close(fd),
      };
      loop.watch(fd, echo);
    },
  });
}

/** Reads from `conn` until `n` bytes came or EOF. */
export async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

/** What `/proc/self/fd/<fd>` names now (`socket:[inode]`), or null when no such fd is open. */
export function fdLink(fd: number): string | null {
  try {
    return Deno.readLinkSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Asserts that the socket once at `fd` (named `before` by fdLink) is closed. The number itself may
 * already hold another file: the runtime and the parallel suite open their own at any time.
 */
export function assertFdClosed(fd: number, before: string | null): void {
  if (before === null) throw new Error(`fd ${fd} was not open before the close`);
  if (fdLink(fd) === before) throw new Error(`fd ${fd} still holds ${before}`);
}
