/**
 * The event loop: one epoll set, the sockets registered in it, and the coarse timer that sweeps
 * their deadlines. A socket owner is called back (`onReadable`, `onWritable`, `onHangup`); no
 * promise is made per operation.
 *
 * Waiting: while events keep coming the loop calls epoll_wait on its own thread (a plain FFI
 * call of at most BUSY_WAIT_MS), which costs no thread hop. When that comes back empty it awaits
 * the nonblocking FFI epoll_wait instead, which Deno runs on a worker thread: the JavaScript
 * event loop then gets its turn (timers, other servers, log writes, signals) and an idle loop
 * uses no CPU. A busy loop also hands the thread over every YIELD_MS, so other work is never
 * held up for long.
 *
 * Async work: an owner that awaits something only the JavaScript event loop can finish (a
 * handler's promise, a stream fed by a Worker, a file read through a Deno op) says so with
 * `hold()` and `release()`. While anything is held the loop waits off-thread every round, one
 * hand-over per round of events, so that work advances at the pace of the sockets rather than
 * one step per YIELD_MS; with nothing held it behaves as above.
 *
 * @module
 */
import { C, type Libc, openLibc } from "./_libc.ts";
import { Deadlines } from "./_deadlines.ts";
import { DATA_OFFSET, EpollSet, EVENT_SIZE } from "./_epoll.ts";
import type { EventLoopOptions, SocketHandler, Timed } from "./_types.ts";

export { type EventLoopOptions, MAX_DELAY_MS, type SocketHandler, type Timed } from "./_types.ts";

/** How long a busy loop blocks its thread in one epoll_wait before waiting off-thread. */
const BUSY_WAIT_MS = 1;
/**
 * The longest a busy loop keeps the thread before it lets other JavaScript run (timers, logs,
 * signals). Each hand-over is a thread hop; at 5 ms they cost a keep-alive proxy about a tenth
 * of its throughput on two cores, at 20 ms next to nothing.
 */
const YIELD_MS = 20;

const HANGUP = C.EPOLLERR | C.EPOLLHUP;
/** What every socket is registered for: edge-triggered reading, writing and the peer's FIN. */
const WATCHED = C.EPOLLIN | C.EPOLLOUT | C.EPOLLRDHUP | C.EPOLLET;
const READ = C.EPOLLIN | C.EPOLLRDHUP;

/** One epoll set and its sockets; use one per thread (a Worker can have its own). */
export class EventLoop {
  /** The C library this loop calls; its `sym` is for calls the loop does not wrap. */
  readonly libc: Libc;
  /** The epoll set, its wake-up (last socket gone, first deadline, stop) and event buffers. */
  #set: EpollSet;
  #intBuf = new Uint8Array(4);
  #intView = new DataView(this.#intBuf.buffer);
  #lenBuf = new Uint8Array(new Uint32Array([4]).buffer);
  /** Owners by fd (fds are small integers, so an array beats a Map). */
  #owners: (SocketHandler | undefined)[] = [];
  /**
   * Registration tag per fd, also carried in each event: an event fetched for a socket that has
   * since closed, its fd reused, is dropped instead of reaching the newcomer.
   */
  #tags: number[] = [];
  #nextTag = 1;
  #count = 0;
  #run: Promise<void> | undefined;
  #closing = false;
  #parked = false;
  #onError: (err: unknown) => void;
  #turns: number;
  #held = 0;
  /** Times the loop handed the thread to the JavaScript event loop (waited off-thread). */
  yields = 0;
  /** Rounds of events dispatched. */
  rounds = 0;
  /** Events dropped because their socket was closed or re-registered after they were fetched. */
  dropped = 0;
  /** The coarse timer: every deadline set on this loop. */
  readonly #deadlines: Deadlines;
  /** The loop's clock in milliseconds (performance.now()), read once per round of events. */
  now: number = performance.now();

  /**
   * Opens libc and an epoll set.
   *
   * @throws when this is not Linux, FFI is not allowed (`Deno.errors.NotCapable`), or epoll fails
   */
  constructor(options: EventLoopOptions = {}) {
    this.#turns = options.microtaskTurns ?? 0;
    this.#onError = options.onError ?? ((err) =>
      queueMicrotask(() => {
        throw err;
      }));
    this.#deadlines = new Deadlines(Math.max(1, options.tickMs ?? 100), this.#onError);
    this.libc = openLibc();
    try {
      this.#set = new EpollSet(this.libc);
    } catch (err) {
      this.libc.close();
      throw err;
    }
  }

  /** The epoll set's descriptor (for `reapLoop()` when this loop's thread dies). */
  get fd(): number {
    return this.#set.fd;
  }

  /** Sockets registered now. */
  get watched(): number {
    return this.#count;
  }

  /** Async work in flight that owners {@link hold} now. */
  get held(): number {
    return this.#held;
  }

  /**
   * Says async work is in flight: until the matching {@link release}, the loop hands the thread
   * to the JavaScript event loop once per round of events instead of every YIELD_MS.
   */
  hold(): void {
    this.#held++;
  }

  /** Ends one {@link hold}. */
  release(): void {
    if (this.#held > 0) this.#held--;
  }

  /** Deadlines set now. */
  get deadlines(): number {
    return this.#deadlines.size;
  }

  /**
   * Registers a nonblocking socket once, edge-triggered, for reading, writing and the peer's
   * FIN. The loop runs while any socket is registered.
   *
   * @returns 0, or the errno of epoll_ctl (the caller still owns and closes the fd)
   */
  watch(fd: number, owner: SocketHandler): number {
    if (this.#closing) return C.EBADF;
    const tag = this.#nextTag;
    this.#nextTag = tag >= 0xffff_fff0 ? 1 : tag + 1;
    const errno = this.#set.add(fd, WATCHED, tag);
    if (errno !== 0) return errno;
    this.#owners[fd] = owner;
    this.#tags[fd] = tag;
    this.#count++;
    this.#run ??= this.#loop();
    return 0;
  }

  /**
   * Asks for `fd`'s events again: edge-triggered, a socket left ready on purpose (an accept
   * queue not emptied, so other sockets get their turn) reports again in the next round.
   *
   * @returns 0, or the errno of epoll_ctl
   */
  rearm(fd: number): number {
    const tag = this.#tags[fd];
    if (tag === undefined || tag === 0) return C.EBADF;
    return this.#set.modify(fd, WATCHED, tag);
  }

  /** Takes `fd` out of the loop without closing it; events already fetched for it are dropped. */
  unwatch(fd: number): void {
    if (this.#owners[fd] === undefined) return;
    this.#set.remove(fd);
    this.#forget(fd);
  }

  #forget(fd: number): void {
    this.#owners[fd] = undefined;
    this.#tags[fd] = 0;
    if (--this.#count === 0 && this.#parked) this.#wake();
  }

  /** Closes `fd`, registered or not; events already fetched for it are dropped. */
  close(fd: number): void {
    if (this.#owners[fd] !== undefined) this.#forget(fd);
    this.libc.sym.close(fd);
  }

  /** recv(): the byte count (0 at the peer's FIN), or the errno negated (-EAGAIN: nothing yet). */
  recv(fd: number, buf: Uint8Array, length: number): number {
    // a BigInt length keeps the call on V8's fast path (a number costs about 0.3 µs more); the
    // length is nearly always the buffer's, so its BigInt is made once
    if (length !== this.#recvLength) {
      this.#recvLength = length;
      this.#recvBig = BigInt(length);
    }
    const n = this.libc.sym.recv(fd, buf, this.#recvBig, 0);
    return n >= 0 ? n : -this.libc.errno();
  }
  #recvLength = 0;
  #recvBig = 0n;

  /** recv() with MSG_PEEK: the bytes stay queued (a PROXY header is read before it is taken). */
  peek(fd: number, buf: Uint8Array, length: number): number {
    const n = this.libc.sym.recv(fd, buf, BigInt(length), C.MSG_PEEK);
    return n >= 0 ? n : -this.libc.errno();
  }

  /** send() without SIGPIPE: the byte count, or the errno negated (-EAGAIN: buffer full). */
  send(fd: number, buf: Uint8Array, length: number): number {
    const n = this.libc.sym.send(fd, buf, BigInt(length), C.MSG_NOSIGNAL);
    return n >= 0 ? n : -this.libc.errno();
  }

  /** Sends a FIN (shutdown of the write side): 0, or the errno. */
  shutdownWrite(fd: number): number {
    return this.libc.sym.shutdown(fd, C.SHUT_WR) === 0 ? 0 : this.libc.errno();
  }

  /** The pending error of a socket (SO_ERROR), 0 for none; tells a failed connect's reason. */
  socketError(fd: number): number {
    if (this.libc.sym.getsockopt(fd, C.SOL_SOCKET, C.SO_ERROR, this.#intBuf, this.#lenBuf) !== 0) {
      return this.libc.errno();
    }
    return this.#intView.getInt32(0, true);
  }

  /** setsockopt() with an int value: 0, or the errno. */
  setOption(fd: number, level: number, name: number, value: number): number {
    this.#intView.setInt32(0, value, true);
    return this.libc.sym.setsockopt(fd, level, name, this.#intBuf, 4) === 0 ? 0 : this.libc.errno();
  }

  /**
   * Sets (or moves) the deadline of `owner` to `at` on the loop's clock (`now + ms`, at most
   * MAX_DELAY_MS ahead); it is called back at most one tick late. Costs no allocation.
   */
  setDeadline(owner: Timed, at: number): void {
    // the first deadline: a loop parked without a timeout must wait with one instead
    if (this.#deadlines.set(owner, at, this.now) && this.#parked) this.#wake();
  }

  /** Clears the deadline of `owner`, if it has one. */
  clearDeadline(owner: Timed): void {
    this.#deadlines.clear(owner);
  }

  #wake(): void {
    this.#set.wake();
  }

  async #loop(): Promise<void> {
    const set = this.#set;
    const deadlines = this.#deadlines;
    await null; // started from watch(): wait (and dispatch) only after the caller has returned
    let yieldAt = performance.now() + YIELD_MS;
    while (this.#count > 0 && !this.#closing) {
      // async work in flight: every wait is off-thread, so it advances once per round
      let n = this.#held > 0 ? 0 : set.poll(BUSY_WAIT_MS);
      let view: DataView = set.view;
      let now = this.now = performance.now();
      if (n <= 0 || now >= yieldAt) {
        // idle, busy for YIELD_MS or holding: wait on a worker thread, which is also the turn of
        // the JavaScript event loop; with deadlines set, only until the next sweep
        if (n > 0) this.#dispatch(n, view);
        if (this.#count === 0 || this.#closing) break;
        const timeout = deadlines.size === 0
          ? -1
          : Math.max(0, Math.ceil(deadlines.nextSweep - now));
        this.#parked = true;
        this.yields++;
        n = await set.wait(n > 0 ? 0 : timeout);
        view = set.nativeView;
        this.#parked = false;
        now = this.now = performance.now();
        yieldAt = now + YIELD_MS;
      }
      if (n > 0) this.#dispatch(n, view);
      if (deadlines.size > 0 && now >= deadlines.nextSweep) deadlines.sweep(now);
      for (let i = 0; i < this.#turns; i++) await null;
    }
    this.#run = undefined;
    // a socket registered while the last wait was returning starts a new run
    if (this.#count > 0 && !this.#closing) this.#run = this.#loop();
  }

  #dispatch(n: number, view: DataView): void {
    this.rounds++;
    const owners = this.#owners;
    const tags = this.#tags;
    for (let i = 0; i < n; i++) {
      const at = i * EVENT_SIZE;
      const fd = view.getUint32(at + DATA_OFFSET, true);
      const tag = view.getUint32(at + DATA_OFFSET + 4, true);
      // stale (closed, maybe reused) or the wake-up (tag 0), whose only job was to end the wait
      if (tag !== tags[fd]) {
        if (tag !== 0) this.dropped++;
        continue;
      }
      const owner = owners[fd]!;
      const events = view.getUint32(at, true);
      try {
        if (events & HANGUP) {
          owner.onHangup();
          continue;
        }
        if (events & C.EPOLLOUT) {
          owner.onWritable();
          if (tags[fd] !== tag) continue; // closed by the callback
        }
        if (events & READ) owner.onReadable((events & C.EPOLLRDHUP) !== 0);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  /**
   * Ends the loop and closes the epoll set and libc. Meant for when every socket is closed: one
   * still registered never gets another callback (its fd stays the owner's to close).
   */
  async stop(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#run) this.#wake();
    // every wait has returned once the run has: only now is the event buffer free to go
    while (this.#run) await this.#run;
    this.#set.close();
    this.libc.close();
  }
}
