/**
 * A port nothing listens on, for tests that expect connections to be refused. A port bound and
 * released at once is free for anyone: in the parallel suite (one process, test modules side by
 * side, one range of ports) another module's listener may take it before the test connects. On
 * Linux the port is held instead by a socket that is bound but never listens: every connection
 * there is refused, and nobody else can bind it until the holder is closed.
 *
 * @module
 */
import { C, type Libc, openLibc } from "../lib/loop/_libc.ts";
import { decodeSockAddr, encodeSockAddr } from "../lib/loop/sockaddr.ts";

/** Runs `fn` with libc open, closed again after: a library left open is a leaked resource. */
function withLibc<T>(fn: (libc: Libc) => T): T {
  const libc = openLibc();
  try {
    return fn(libc);
  } finally {
    libc.close();
  }
}

/** A TCP port on `host` held by a bound socket: refused until `listen()`, free once disposed. */
export class HeldPort implements Disposable {
  readonly port: number;
  readonly #host: string;
  #fd = -1;
  #listener: Deno.Listener | null = null;

  constructor(host = "127.0.0.1") {
    this.#host = host;
    if (Deno.build.os !== "linux") {
      // no libc socket here: a released port, which another listener could take meanwhile
      using l = Deno.listen({ hostname: host, port: 0 });
      this.port = l.addr.port;
      return;
    }
    const sa = encodeSockAddr(host, 0);
    [this.#fd, this.port] = withLibc((libc) => {
      const fd = libc.sym.socket(sa.family, C.SOCK_STREAM | C.SOCK_CLOEXEC, 0);
      const addr = new Uint8Array(28); // sockaddr_in6, the larger
      const len = new Uint32Array([addr.length]);
      if (
        fd < 0 || libc.sym.bind(fd, sa.bytes, sa.bytes.length) !== 0 ||
        libc.sym.getsockname(fd, addr, new Uint8Array(len.buffer)) !== 0
      ) {
        const errno = libc.errno();
        if (fd >= 0) libc.sym.close(fd);
        throw new Error(`Cannot hold a port: errno ${errno}`);
      }
      return [fd, decodeSockAddr(addr).port];
    });
  }

  /** Starts listening on the held port: connections complete (into a queue nobody accepts). */
  listen(): void {
    if (this.#fd < 0) {
      this.#listener ??= Deno.listen({ hostname: this.#host, port: this.port });
      return;
    }
    const errno = withLibc((libc) => libc.sym.listen(this.#fd, 16) === 0 ? 0 : libc.errno());
    if (errno !== 0) throw new Error(`Cannot listen on the held port ${this.port}: errno ${errno}`);
  }

  [Symbol.dispose](): void {
    if (this.#fd >= 0) withLibc((libc) => libc.sym.close(this.#fd));
    this.#fd = -1;
    this.#listener?.close();
    this.#listener = null;
  }
}

/** A port on `host` where every connection is refused, held for the rest of the process. */
export function deadPort(host = "127.0.0.1"): number {
  return new HeldPort(host).port;
}
