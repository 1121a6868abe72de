/**
 * A promise interface over the loop, for callers that are not hot (netlab bench's raw engine):
 * `read`, `write` and `close` shaped like a `Deno.Conn`'s, errors as Deno throws them. Each
 * operation makes its syscall at once and waits only after EAGAIN, with one pending resolver per
 * direction; a connect takes an AbortSignal and no timer. Run it on a loop made with
 * `microtaskTurns` ({@linkcode ASYNC_LOOP_OPTIONS}), so that woken callers reach their next wait
 * before the loop polls again.
 *
 * @module
 */
import { C } from "./_libc.ts";
import { closedError, errnoError, isConnectFailure } from "./errno.ts";
import type { EventLoop, EventLoopOptions, SocketHandler } from "./loop.ts";
import type { SockAddr } from "./sockaddr.ts";
import { Handle } from "./handle.ts";

/**
 * Loop options for promise owners: enough microtask turns for a read-write-read chain to reach
 * its next wait after each round, so every connection woken in a round is served in that round.
 */
export const ASYNC_LOOP_OPTIONS: Readonly<EventLoopOptions> = { microtaskTurns: 32 };

/** Options for {@linkcode AsyncSocket.connect}. */
export interface AsyncConnectOptions {
  /** Ends a pending connect, rejecting with `Deno.errors.Interrupted`; nothing is left open. */
  signal?: AbortSignal;
  /** TCP_NODELAY. @default {true} */
  noDelay?: boolean;
}

/** send() to a peer that is gone (not in the loop's table: only this file meets it). */
const EPIPE = 32;

type Settle<T> = { resolve: (v: T) => void; reject: (err: Error) => void };

/** A connected nonblocking socket with promise-returning reads and writes. */
export class AsyncSocket implements SocketHandler {
  #loop: EventLoop;
  /** Set once the connect has started: the descriptor, its closed state, its close. */
  #h: Handle | undefined;
  #hungUp = false;
  /**
   * The error a hang-up during the connect left (SO_ERROR, which reading clears): the peer
   * answered and reset before the connect was seen done. Reads give it after the data.
   */
  #error = 0;
  /** False after EAGAIN until the loop says otherwise: a read then waits without a syscall. */
  #canRead = true;
  #canWrite = true;
  #connect: Settle<AsyncSocket> | undefined;
  #reader: Settle<number | null> | undefined;
  #readBuf: Uint8Array | undefined;
  #writer: Settle<number> | undefined;
  #writeBuf: Uint8Array | undefined;

  private constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  /**
   * Connects to `addr` on `loop`.
   *
   * @param loop the loop the socket runs on (best made with {@linkcode ASYNC_LOOP_OPTIONS})
   * @param addr the peer, from `encodeSockAddr()`
   * @param options the signal that ends a pending connect, TCP_NODELAY
   * @returns the connected socket
   * @throws (rejects with) the error Deno.connect throws for the same errno, e.g.
   *   `Deno.errors.ConnectionRefused`, or `Deno.errors.Interrupted` when `signal` aborts
   * @example
   * ```ts ignore
   * const loop = new EventLoop(ASYNC_LOOP_OPTIONS);
   * const sock = await AsyncSocket.connect(loop, encodeSockAddr("127.0.0.1", 8000));
   * await sock.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
   * const n = await sock.read(new Uint8Array(4096));
   * sock.close();
   * ```
   */
  static connect(
    loop: EventLoop,
    addr: SockAddr,
    options: AsyncConnectOptions = {},
  ): Promise<AsyncSocket> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(aborted());
    const sock = new AsyncSocket(loop);
    // until the outcome both directions wait: the first event is the connect's outcome
    sock.#canRead = sock.#canWrite = false;
    const h = Handle.connect(loop, addr, sock);
    if (typeof h === "number") return Promise.reject(errnoError(-h, "connect"));
    sock.#h = h;
    if (options.noDelay ?? true) loop.setOption(h.fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    return new Promise((resolve, reject) => {
      const abort = () => sock.#failConnect(aborted());
      const done = () => signal?.removeEventListener("abort", abort);
      sock.#connect = {
        resolve: (s) => (done(), resolve(s)),
        reject: (err) => (done(), reject(err)),
      };
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  #failConnect(err: Error): void {
    const c = this.#connect!;
    this.#connect = undefined;
    this.#h!.close();
    c.reject(err);
  }

  /** The socket's descriptor (for options the socket does not wrap); -1 once closed. */
  get fd(): number {
    return this.#h!.fd;
  }

  /**
   * Reads into `buf`.
   *
   * @returns the byte count, or null at the peer's FIN
   * @throws (rejects with) `Deno.errors.BadResource` once closed, `ConnectionReset` on a reset
   */
  read(buf: Uint8Array): Promise<number | null> {
    if (this.#h!.closed) return Promise.reject(closedError());
    if (this.#reader) return Promise.reject(new Deno.errors.Busy("A read is already pending"));
    if (this.#canRead) {
      const n = this.#recv(buf);
      if (typeof n !== "number" || n !== -C.EAGAIN) return settled(n);
    }
    this.#readBuf = buf;
    return new Promise((resolve, reject) => this.#reader = { resolve, reject });
  }

  /** recv: the count, null at FIN, an error, or -EAGAIN (then canRead is false). */
  #recv(buf: Uint8Array): number | null | Error {
    while (true) {
      const n = this.#loop.recv(this.#h!.fd, buf, buf.length);
      if (n > 0) return n;
      if (n === 0) return buf.length === 0 ? 0 : this.#end();
      if (n === -C.EINTR) continue;
      if (n !== -C.EAGAIN) return errnoError(-n, "recv");
      if (this.#hungUp) return this.#end(); // both directions done: nothing more will come
      this.#canRead = false;
      return n;
    }
  }

  /** What a read gives once the data is taken: the reset the connect's hang-up left, or EOF. */
  #end(): null | Error {
    return this.#error === 0 ? null : errnoError(this.#error, "recv");
  }

  /**
   * Writes as much of `buf` as the socket takes now, waiting first if it takes nothing.
   *
   * @returns the byte count (may be less than `buf.length`)
   * @throws (rejects with) `Deno.errors.BadResource` once closed, `BrokenPipe` or
   *   `ConnectionReset` when the peer is gone
   */
  write(buf: Uint8Array): Promise<number> {
    if (this.#h!.closed) return Promise.reject(closedError());
    if (this.#writer) return Promise.reject(new Deno.errors.Busy("A write is already pending"));
    if (this.#canWrite) {
      const n = this.#send(buf);
      if (typeof n !== "number" || n !== -C.EAGAIN) return settled(n);
    }
    this.#writeBuf = buf;
    return new Promise((resolve, reject) => this.#writer = { resolve, reject });
  }

  #send(buf: Uint8Array): number | Error {
    while (true) {
      const n = this.#loop.send(this.#h!.fd, buf, buf.length);
      if (n >= 0) return n;
      if (n === -C.EINTR) continue;
      if (n !== -C.EAGAIN) {
        return errnoError(n === -EPIPE && this.#error !== 0 ? this.#error : -n, "send");
      }
      if (this.#hungUp) return errnoError(this.#error || EPIPE, "send");
      this.#canWrite = false;
      return n;
    }
  }

  /**
   * Closes the socket; a pending read or write rejects with `Deno.errors.BadResource`.
   *
   * @throws `Deno.errors.BadResource` when already closed, as `Deno.Conn.close()` does
   */
  close(): void {
    if (!this.#h!.close()) throw closedError();
    const r = this.#reader, w = this.#writer;
    this.#reader =
      this.#writer =
      this.#readBuf =
      this.#writeBuf =
        undefined;
    r?.reject(closedError());
    w?.reject(closedError());
  }

  /** @internal the loop's callback */
  onReadable(): void {
    this.#canRead = true;
    const r = this.#reader;
    if (r === undefined) return;
    const n = this.#recv(this.#readBuf!);
    if (n === -C.EAGAIN) return;
    this.#reader = this.#readBuf = undefined;
    if (n instanceof Error) r.reject(n);
    else r.resolve(n);
  }

  /** @internal the loop's callback */
  onWritable(): void {
    if (this.#connect) {
      const c = this.#connect;
      this.#connect = undefined;
      this.#canRead = this.#canWrite = true;
      c.resolve(this);
      return;
    }
    this.#canWrite = true;
    const w = this.#writer;
    if (w === undefined) return;
    const n = this.#send(this.#writeBuf!);
    if (n === -C.EAGAIN) return;
    this.#writer = this.#writeBuf = undefined;
    if (n instanceof Error) w.reject(n);
    else w.resolve(n);
  }

  /** @internal the loop's callback */
  onHangup(): void {
    if (this.#connect) {
      // only a refused, unreachable or timed-out connect failed; a reset (the peer accepted,
      // answered and reset in the same batch of events) says it connected: the data is read
      // first, then the reset, which reading SO_ERROR took, so it is kept for the reads
      const errno = this.#loop.socketError(this.#h!.fd);
      if (isConnectFailure(errno)) return this.#failConnect(errnoError(errno, "connect"));
      this.#error = errno;
    }
    // a reset or both directions done: the next recv/send says which, and nothing waits again
    // (after a connect's hang-up, onWritable settles the connect)
    this.#hungUp = true;
    this.onWritable();
    if (!this.#h!.closed) this.onReadable();
  }
}

function aborted(): Error {
  return new Deno.errors.Interrupted("connect aborted");
}

function settled<T>(v: T | Error): Promise<T> {
  return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
}
