/**
 * The epoll engine (Linux): nonblocking libc sockets over FFI, one epoll set, edge-triggered.
 * It exists for speed: a proxied connection through Deno.net costs about 80 us more CPU than
 * through HAProxy, nearly all of it per-operation overhead in the runtime, not kernel work.
 * Hosts must be IP literals (it resolves no names).
 *
 * @module
 */
import { BackendConnectError, describeConnectError } from "../_connect.ts";
import { C, type Libc, openLibc } from "./_libc.ts";
import { errnoError } from "./_errno.ts";
import { EpollConn } from "./_epoll_conn.ts";
import { EpollListener } from "./_epoll_listener.ts";
import { Poller } from "./_poller.ts";
import { encodeSockAddr, type SockAddr } from "./_sockaddr.ts";
import type { Transport, TransportConn, TransportListener } from "./transport.ts";

/** errnos of a backend that is not there (or not reachable): try the next one. */
const UNREACHABLE = new Set([111, 110, 104, 101, 113, 99, 103]);

/** A failed connect's error: BackendConnectError when the backend is just not reachable. */
function connectFailed(errno: number): Error {
  const err = errnoError(errno, "connect");
  if (!UNREACHABLE.has(errno)) return err;
  // worded as the Deno engine words it, so the log says the same whichever engine runs
  return new BackendConnectError(describeConnectError(err), { cause: err });
}

/** The epoll engine. */
export class EpollTransport implements Transport {
  readonly name = "epoll" as const;
  #libc: Libc;
  #poller: Poller;
  /** Encoded backend addresses: a balancer connects to the same few again and again. */
  #addrs = new Map<string, SockAddr>();
  #closed = false;

  /** Opens libc and an epoll set; throws when FFI is denied or this is not Linux. */
  constructor() {
    this.#libc = openLibc();
    try {
      this.#poller = new Poller(this.#libc);
    } catch (err) {
      this.#libc.close();
      throw err;
    }
  }

  /** Sockets of this engine open right now (a leak shows here first). */
  get openSockets(): number {
    return this.#poller.count;
  }

  listen(host: string, port: number): TransportListener {
    this.#check();
    return new EpollListener(host, port, this.#libc, this.#poller);
  }

  /**
   * Connects to host:port; `signal` (optional: netlab bench stops connects with it) ends a pending
   * connect at once, rejecting with `Deno.errors.Interrupted`.
   */
  async connect(
    host: string,
    port: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<TransportConn> {
    this.#check();
    const key = `${host}|${port}`;
    let sa = this.#addrs.get(key);
    if (!sa) this.#addrs.set(key, sa = encodeSockAddr(host, port));
    const { sym } = this.#libc;
    const fd = sym.socket(sa.family, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0);
    if (fd < 0) throw errnoError(this.#libc.errno(), "socket");
    const remote: Deno.NetAddr = { transport: "tcp", hostname: host, port };
    const conn = new EpollConn(fd, remote, this.#libc, this.#poller);
    let errno = sym.connect(fd, sa.bytes, sa.bytes.length) === 0 ? 0 : this.#libc.errno();
    const pending = errno === C.EINPROGRESS;
    if (pending) conn.connecting();
    // registered only now: an unconnected socket would report EPOLLOUT|EPOLLHUP at once
    const added = errno === 0 || pending ? this.#poller.add(fd, conn) : 0;
    if (added !== 0) {
      sym.close(fd);
      throw errnoError(added, "epoll_ctl");
    }
    let timedOut = false;
    let aborted = false;
    if (pending) {
      const timer = setTimeout(() => {
        timedOut = true;
        conn.close();
      }, timeoutMs);
      const abort = () => {
        aborted = true;
        conn.close();
      };
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
      errno = await conn.connected();
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    } else if (errno !== 0) {
      sym.close(fd);
      throw connectFailed(errno);
    }
    if (aborted) throw new Deno.errors.Interrupted("connect aborted");
    if (timedOut) throw new BackendConnectError(`connect timed out after ${timeoutMs} ms`);
    if (errno === 0) return conn;
    conn.close();
    throw connectFailed(errno);
  }

  #check(): void {
    if (this.#closed) throw new Deno.errors.BadResource("The epoll engine is closed");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#poller.close();
    this.#libc.close();
  }
}
