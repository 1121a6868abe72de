/**
 * The kernel side of an event loop: one epoll set, the eventfd that wakes a wait parked on it,
 * and the memory epoll_wait writes its events into. `EventLoop` (`loop.ts`) decides who gets
 * which event and when to wait; this file only makes the calls.
 *
 * Two event buffers: the on-thread wait (a plain FFI call) writes into a V8 buffer, which it
 * returns before anything can free, and which keeps the call on Deno's fast FFI path (the slow
 * one costs about 0.3 µs a call). The off-thread wait (Deno runs the nonblocking call on a thread
 * of its blocking pool) writes into native memory allocated once per set and freed only by
 * close() once no wait is parked: that wait may outlive the thread that made it (a Worker
 * terminated while its loop waits), and must then write into memory that is still ours, never
 * into a buffer V8 has freed.
 *
 * @module
 */
import { C, type Libc } from "./_libc.ts";

/** The most events one wait returns. */
export const MAX_EVENTS = 512;
/** struct epoll_event is packed on x86_64 (12 bytes) but 8-byte aligned elsewhere (16). */
export const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
/** Where an event's data (the fd, then the registration tag) starts. */
export const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;

/** An epoll set whose events carry an fd and a tag; the wake-up carries tag 0. */
export class EpollSet {
  readonly #libc: Libc;
  /** The set's descriptor. */
  readonly fd: number;
  /** Written to end a wait parked off-thread. */
  readonly #wakeFd: number;
  #events = new Uint8Array(MAX_EVENTS * EVENT_SIZE);
  /** The events of the last {@link poll}. */
  readonly view = new DataView(this.#events.buffer);
  #eventsPtr: Deno.PointerObject;
  /** The events of the last {@link wait}. */
  readonly nativeView: DataView;
  #ctl = new Uint8Array(16);
  #ctlView = new DataView(this.#ctl.buffer);
  #one = new Uint8Array(new BigUint64Array([1n]).buffer);

  /**
   * Creates the set, its wake-up and its native event buffer.
   *
   * @throws when epoll, eventfd or malloc fails (nothing is left open)
   */
  constructor(libc: Libc) {
    this.#libc = libc;
    const { sym } = libc;
    const size = MAX_EVENTS * EVENT_SIZE;
    const events = sym.malloc(BigInt(size));
    if (events === null) throw new Error("Cannot allocate the epoll event buffer");
    this.#eventsPtr = events;
    this.nativeView = new DataView(Deno.UnsafePointerView.getArrayBuffer(events, size));
    this.fd = sym.epoll_create1(C.EPOLL_CLOEXEC);
    if (this.fd < 0) {
      const errno = libc.errno();
      sym.free(events);
      throw new Error(`Cannot create an epoll instance (os error ${errno})`);
    }
    this.#wakeFd = sym.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
    if (
      this.#wakeFd < 0 || this.#ctlCall(C.EPOLL_CTL_ADD, this.#wakeFd, C.EPOLLIN | C.EPOLLET, 0)
    ) {
      const errno = libc.errno();
      if (this.#wakeFd >= 0) sym.close(this.#wakeFd);
      sym.close(this.fd);
      sym.free(events);
      throw new Error(`Cannot create the epoll wake-up (os error ${errno})`);
    }
  }

  /** epoll_ctl with an event carrying `fd` and `tag`: 0, or the errno. */
  #ctlCall(op: number, fd: number, events: number, tag: number): number {
    const v = this.#ctlView;
    v.setUint32(0, events >>> 0, true);
    v.setUint32(DATA_OFFSET, fd, true);
    v.setUint32(DATA_OFFSET + 4, tag, true);
    return this.#libc.sym.epoll_ctl(this.fd, op, fd, this.#ctl) === 0 ? 0 : this.#libc.errno();
  }

  /** Registers `fd` for `events`, its events tagged `tag`: 0, or the errno. */
  add(fd: number, events: number, tag: number): number {
    return this.#ctlCall(C.EPOLL_CTL_ADD, fd, events, tag);
  }

  /** Asks for `fd`'s `events` again (edge-triggered: reports what is ready now): 0, or the errno. */
  modify(fd: number, events: number, tag: number): number {
    return this.#ctlCall(C.EPOLL_CTL_MOD, fd, events, tag);
  }

  /** Takes `fd` out of the set. */
  remove(fd: number): void {
    this.#libc.sym.epoll_ctl(this.fd, C.EPOLL_CTL_DEL, fd, this.#ctl);
  }

  /** Waits on this thread, at most `ms`; the events are in {@link view}. */
  poll(ms: number): number {
    return this.#libc.sym.epoll_poll(this.fd, this.#events, MAX_EVENTS, ms);
  }

  /** Waits on a thread of Deno's blocking pool (-1: no limit); the events are in {@link nativeView}. */
  wait(timeoutMs: number): Promise<number> {
    return this.#libc.sym.epoll_wait(this.fd, this.#eventsPtr, MAX_EVENTS, timeoutMs);
  }

  /** Ends a wait parked off-thread (it returns the wake-up, tag 0). */
  wake(): void {
    this.#libc.sym.write(this.#wakeFd, this.#one, 8n);
  }

  /** Closes the set and frees its buffer: only once no wait is parked on it. */
  close(): void {
    const { sym } = this.#libc;
    sym.close(this.#wakeFd);
    sym.close(this.fd);
    sym.free(this.#eventsPtr);
  }
}
