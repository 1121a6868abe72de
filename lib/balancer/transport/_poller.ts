/**
 * The bench raw engine's poller (a promise per operation; the balancer runs on `lib/loop/`
 * instead, and this goes once the raw engine does too). One epoll instance and the loop that
 * waits on it. Sockets register once, edge-triggered for
 * both directions; an operation tries its syscall first and only waits after EAGAIN, so a busy
 * socket costs no wake-up at all.
 *
 * Waiting: while events keep coming the loop waits on the event-loop thread itself (a plain FFI
 * epoll_wait of at most SHORT_WAIT_MS), which costs no thread hop. When nothing came in that
 * time, or after MAX_SPINS rounds in a row, it waits as a nonblocking FFI call instead: Deno runs
 * that on a worker thread and resolves a promise, so the event loop gets its turn (timers, the
 * stats server, logging, signals) and an idle balancer uses no CPU. That costs two thread
 * hand-offs per wait, which is why it is not the common path. The loop runs only while some
 * socket is registered. Meant as one engine per thread: two would take turns holding each other
 * up for SHORT_WAIT_MS.
 *
 * @module
 */
import { C, type Libc } from "../../loop/_libc.ts";

/** Something registered with the poller: told which events its socket got. */
export interface Pollable {
  /** `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLERR, ...). */
  wake(events: number): void;
}

const MAX_EVENTS = 256;
// struct epoll_event is packed on x86_64 (12 bytes) but 8-byte aligned elsewhere (16)
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
/** Polls in a row on this thread before one event-loop turn lets other work run. */
const MAX_SPINS = 16;
/** Microtask turns after a dispatch: enough for a read-write-read chain to reach its next wait. */
const MICROTASK_TURNS = 32;
/**
 * How long the loop may block the event-loop thread in epoll_wait before it hands the wait to a
 * worker thread: a busy balancer gets its next event within this. Anything else the event loop
 * has to do (a timer, a stats request) waits for the next turn, up to MAX_SPINS rounds of proxy
 * work plus this; a stats request needs several turns, so under load it answers in milliseconds
 * to tens of milliseconds (rarely more), where the Deno engine answers in a few.
 */
const SHORT_WAIT_MS = 1;

/** The epoll set of one engine. */
export class Poller {
  #libc: Libc;
  #epfd: number;
  /** Written to wake a pending epoll_wait when the last socket goes (so nothing stays pending). */
  #wakeFd: number;
  #events = new Uint8Array(MAX_EVENTS * EVENT_SIZE);
  #view = new DataView(this.#events.buffer);
  #ctl = new Uint8Array(16);
  #ctlView = new DataView(this.#ctl.buffer);
  #one = new Uint8Array(new BigUint64Array([1n]).buffer);
  /** Registered sockets by fd (fds are small integers, so an array beats a Map). */
  #table: (Pollable | undefined)[] = [];
  /**
   * Registration number per fd, also carried in each event: an event fetched for a socket that
   * has since closed, its fd reused, is dropped instead of waking the newcomer.
   */
  #tags: number[] = [];
  #nextTag = 1;
  #count = 0;
  #loop: Promise<void> | undefined;
  #closing = false;

  constructor(libc: Libc) {
    this.#libc = libc;
    this.#epfd = libc.sym.epoll_create1(C.EPOLL_CLOEXEC);
    if (this.#epfd < 0) throw new Error(`Cannot create an epoll instance: errno ${libc.errno()}`);
    this.#wakeFd = libc.sym.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
    if (this.#wakeFd < 0 || !this.#register(this.#wakeFd, C.EPOLLIN | C.EPOLLET, 0)) {
      const errno = libc.errno();
      if (this.#wakeFd >= 0) libc.sym.close(this.#wakeFd); // epoll_ctl failed: no eventfd leak
      libc.sym.close(this.#epfd);
      throw new Error(`Cannot create the epoll wake-up: errno ${errno}`);
    }
  }

  #register(fd: number, events: number, tag: number): boolean {
    const v = this.#ctlView;
    v.setUint32(0, events >>> 0, true);
    v.setUint32(DATA_OFFSET, fd, true);
    v.setUint32(DATA_OFFSET + 4, tag, true);
    return this.#libc.sym.epoll_ctl(this.#epfd, C.EPOLL_CTL_ADD, fd, this.#ctl) === 0;
  }

  /** Sockets registered now (every open socket of the engine). */
  get count(): number {
    return this.#count;
  }

  /** Registers `fd` for both directions; returns the errno on failure, 0 on success. */
  add(fd: number, owner: Pollable): number {
    const tag = this.#nextTag;
    this.#nextTag = tag >= 0xffff_fff0 ? 1 : tag + 1;
    const events = C.EPOLLIN | C.EPOLLOUT | C.EPOLLRDHUP | C.EPOLLET;
    if (!this.#register(fd, events, tag)) return this.#libc.errno();
    this.#table[fd] = owner;
    this.#tags[fd] = tag;
    this.#count++;
    if (!this.#closing) this.#loop ??= this.#run();
    return 0;
  }

  /** Forgets `fd`; call just before closing it (close() takes it out of the epoll set). */
  remove(fd: number): void {
    if (this.#table[fd] === undefined) return;
    this.#table[fd] = undefined;
    this.#tags[fd] = 0;
    if (--this.#count === 0 && this.#loop) this.#libc.sym.write(this.#wakeFd, this.#one, 8n);
  }

  async #run(): Promise<void> {
    const { sym } = this.#libc;
    await null; // started from add(): wait (and dispatch) only after the caller has returned
    let spins = 0;
    while (this.#count > 0 && !this.#closing) {
      // busy: wait here, briefly, which costs no thread hop (see SHORT_WAIT_MS)
      let n = spins < MAX_SPINS
        ? sym.epoll_poll(this.#epfd, this.#events, MAX_EVENTS, SHORT_WAIT_MS)
        : 0;
      if (n > 0) {
        spins++;
      } else {
        // idle, or busy for MAX_SPINS rounds: wait on a worker thread, which is also the turn of
        // the event loop that lets timers, the stats server and log writes run
        spins = 0;
        if (this.#count === 0 || this.#closing) break;
        n = await sym.epoll_wait(this.#epfd, this.#events, MAX_EVENTS, -1);
      }
      this.#dispatch(n);
      // let the woken operations reach their next wait before blocking again: a wait that starts
      // with work still queued would hold it up for SHORT_WAIT_MS
      for (let i = 0; i < MICROTASK_TURNS; i++) await null;
    }
    this.#loop = undefined;
    // a socket registered while the last wait was returning starts a new loop
    if (this.#count > 0 && !this.#closing) this.#loop = this.#run();
  }

  #dispatch(n: number): void {
    const view = this.#view;
    for (let i = 0; i < n; i++) {
      const at = i * EVENT_SIZE;
      const fd = view.getUint32(at + DATA_OFFSET, true);
      if (view.getUint32(at + DATA_OFFSET + 4, true) !== this.#tags[fd]) continue;
      this.#table[fd]?.wake(view.getUint32(at, true));
    }
  }

  /**
   * Ends the loop and closes the epoll and wake-up fds. Meant for when every socket is closed;
   * one still open is not waited for (it would only hang the caller) and never wakes again.
   */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#loop) this.#libc.sym.write(this.#wakeFd, this.#one, 8n);
    while (this.#loop) await this.#loop;
    this.#libc.sym.close(this.#wakeFd);
    this.#libc.sym.close(this.#epfd);
  }
}
