/**
 * A connected nonblocking socket of the epoll engine. Each operation makes its syscall at once
 * and waits for the poller only after EAGAIN; the proxy keeps at most one read and one write
 * pending per socket, so one waiter per direction is all it needs.
 *
 * @module
 */
import { C, type Libc } from "../../loop/_libc.ts";
import { closedError, errnoError } from "../../loop/errno.ts";
import type { Pollable, Poller } from "./_poller.ts";
import type { TransportConn } from "./transport.ts";

const READ_EVENTS = C.EPOLLIN | C.EPOLLRDHUP | C.EPOLLHUP | C.EPOLLERR;
const WRITE_EVENTS = C.EPOLLOUT | C.EPOLLHUP | C.EPOLLERR;

/**
 * A socket fd registered with the poller (connections and listeners). It remembers whether the
 * socket may be readable or writable: false after EAGAIN until an event says otherwise, so an
 * operation that would only get EAGAIN again waits without making the syscall.
 */
export class EpollSocket implements Pollable {
  readonly fd: number;
  protected libc: Libc;
  protected poller: Poller;
  protected closed = false;
  protected canRead = true;
  protected canWrite = true;
  /** The events of the last wake-up (the connect outcome reads EPOLLERR/EPOLLHUP from it). */
  protected lastEvents = 0;
  #readWaiter: (() => void) | undefined;
  #writeWaiter: (() => void) | undefined;

  constructor(fd: number, libc: Libc, poller: Poller) {
    this.fd = fd;
    this.libc = libc;
    this.poller = poller;
  }

  wake(events: number): void {
    this.lastEvents = events;
    if (events & READ_EVENTS) {
      this.canRead = true;
      const w = this.#readWaiter;
      this.#readWaiter = undefined;
      w?.();
    }
    if (events & WRITE_EVENTS) {
      this.canWrite = true;
      const w = this.#writeWaiter;
      this.#writeWaiter = undefined;
      w?.();
    }
  }

  protected readable(): Promise<void> {
    return new Promise((resolve) => this.#readWaiter = resolve);
  }

  protected writable(): Promise<void> {
    return new Promise((resolve) => this.#writeWaiter = resolve);
  }

  close(): void {
    if (this.closed) throw closedError();
    this.closed = true;
    this.poller.remove(this.fd);
    this.libc.sym.close(this.fd);
    // pending operations wake, see `closed` and reject like Deno's do
    this.wake(READ_EVENTS | WRITE_EVENTS);
  }
}

/** A connected TCP socket of the epoll engine. */
export class EpollConn extends EpollSocket implements TransportConn {
  readonly remoteAddr: Deno.NetAddr;
  #noDelay: boolean;

  /** `noDelay`: whether the socket already has TCP_NODELAY (inherited from its listener). */
  constructor(fd: number, remoteAddr: Deno.NetAddr, libc: Libc, poller: Poller, noDelay = false) {
    super(fd, libc, poller);
    this.remoteAddr = remoteAddr;
    this.#noDelay = noDelay;
  }

  async read(buf: Uint8Array): Promise<number | null> {
    const { sym } = this.libc;
    while (true) {
      if (!this.canRead && !this.closed) await this.readable();
      if (this.closed) throw closedError();
      const n = sym.recv(this.fd, buf, BigInt(buf.length), 0);
      if (n > 0) return n;
      if (n === 0) return buf.length === 0 ? 0 : null;
      const errno = this.libc.errno();
      if (errno === C.EAGAIN) this.canRead = false;
      else if (errno !== C.EINTR) throw errnoError(errno, "recv");
    }
  }

  async write(buf: Uint8Array): Promise<number> {
    const { sym } = this.libc;
    while (true) {
      if (!this.canWrite && !this.closed) await this.writable();
      if (this.closed) throw closedError();
      const n = sym.send(this.fd, buf, BigInt(buf.length), C.MSG_NOSIGNAL);
      if (n >= 0) return n;
      const errno = this.libc.errno();
      if (errno === C.EAGAIN) this.canWrite = false;
      else if (errno !== C.EINTR) throw errnoError(errno, "send");
    }
  }

  closeWrite(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.libc.sym.shutdown(this.fd, C.SHUT_WR) === 0) return Promise.resolve();
    return Promise.reject(errnoError(this.libc.errno(), "shutdown"));
  }

  setNoDelay(noDelay = true): void {
    if (this.closed || noDelay === this.#noDelay) return;
    this.#noDelay = noDelay;
    setIntOption(this.libc, this.fd, C.IPPROTO_TCP, C.TCP_NODELAY, noDelay ? 1 : 0);
  }

  /**
   * Marks a socket whose connect() returned EINPROGRESS as neither readable nor writable. Call it
   * before registering the socket: its first event is the outcome, and that event may be
   * dispatched before anyone awaits `connected()` (a microtask checkpoint inside the caller, as
   * the test runner's first setTimeout makes), so the event must be what sets the flags.
   */
  connecting(): void {
    this.canRead = false;
    this.canWrite = false;
  }

  /**
   * For a socket marked `connecting()`: waits for the outcome (unless it already came) and
   * returns its errno, 0 when connected. Events carry a registration tag, so no stale event can
   * pass for the outcome.
   */
  async connected(): Promise<number> {
    if (!this.canWrite && !this.closed) await this.writable();
    if (this.closed) return 0;
    if ((this.lastEvents & (C.EPOLLERR | C.EPOLLHUP)) === 0) return 0;
    const value = new Uint8Array(4);
    const len = new Uint8Array(new Uint32Array([4]).buffer);
    if (this.libc.sym.getsockopt(this.fd, C.SOL_SOCKET, C.SO_ERROR, value, len) !== 0) {
      return this.libc.errno();
    }
    return new DataView(value.buffer).getInt32(0, true) || C.ECONNREFUSED;
  }
}

/** setsockopt with an int value. */
export function setIntOption(libc: Libc, fd: number, level: number, name: number, v: number): void {
  const value = new Uint8Array(new Int32Array([v]).buffer);
  libc.sym.setsockopt(fd, level, name, value, 4);
}
