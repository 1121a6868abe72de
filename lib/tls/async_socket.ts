/**
 * A TLS client connection on the event loop with a promise interface, for callers that are not
 * hot (netlab bench's raw engine): `connect` (TCP, with an AbortSignal), `handshake`, `read`,
 * `write` and `close` shaped like a `Deno.TlsConn`'s. Each operation calls OpenSSL at once and
 * waits only when it says WANT_READ or WANT_WRITE, for the next edge of that direction (OpenSSL
 * only says so after the socket said EAGAIN, so that edge will come). Errors are the ones Deno
 * throws: `ConnectionRefused`, `ConnectionReset`, `BadResource` once closed, `InvalidData` for a
 * certificate that does not verify.
 *
 * @module
 */
import {
  closedError,
  connectSocket,
  errnoError,
  type EventLoop,
  LINUX,
  type SockAddr,
  type SocketHandler,
} from "../loop/mod.ts";
import type { TlsClientContext } from "./client.ts";
import { TLS_FAILED, type TlsStream } from "./stream.ts";

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/** A TLS client connection on the loop. */
export class AsyncTlsSocket implements SocketHandler {
  #loop: EventLoop;
  #ctx: TlsClientContext;
  #fd = -1;
  #stream: TlsStream | null = null;
  #closed = false;
  #hungUp = false;
  #connecting: Waiter | undefined;
  #readable: Waiter | undefined;
  #writable: Waiter | undefined;

  private constructor(loop: EventLoop, ctx: TlsClientContext) {
    this.#loop = loop;
    this.#ctx = ctx;
  }

  /**
   * Connects TCP to `addr` and prepares TLS for `servername`; call {@link handshake} next.
   *
   * @throws (rejects with) the error Deno.connect throws for the same errno, or
   *   `Deno.errors.Interrupted` when `signal` aborts
   */
  static async connect(
    loop: EventLoop,
    ctx: TlsClientContext,
    addr: SockAddr,
    servername: string,
    signal?: AbortSignal,
  ): Promise<AsyncTlsSocket> {
    if (signal?.aborted) throw new Deno.errors.Interrupted("connect aborted");
    const sock = new AsyncTlsSocket(loop, ctx);
    const fd = connectSocket(loop, addr, sock);
    if (fd < 0) throw errnoError(-fd, "connect");
    sock.#fd = fd;
    loop.setOption(fd, LINUX.IPPROTO_TCP, LINUX.TCP_NODELAY, 1);
    const abort = () => sock.#failConnect(new Deno.errors.Interrupted("connect aborted"));
    signal?.addEventListener("abort", abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => sock.#connecting = { resolve, reject });
    } finally {
      signal?.removeEventListener("abort", abort);
    }
    const stream = ctx.connect(fd, servername);
    if (stream === null) {
      sock.close();
      throw new Error("Cannot start TLS on the connection");
    }
    sock.#stream = stream;
    return sock;
  }

  #failConnect(err: Error): void {
    const c = this.#connecting;
    if (c === undefined) return;
    this.#connecting = undefined;
    this.#closed = true;
    this.#loop.close(this.#fd);
    c.reject(err);
  }

  /** Whether the handshake resumed an earlier session of the same context. */
  get resumed(): boolean {
    return this.#stream?.resumed ?? false;
  }

  /** The protocol version agreed, e.g. `TLSv1.3` ("" before the handshake). */
  get protocol(): string {
    return this.#stream?.protocol ?? "";
  }

  /** The cipher suite agreed, e.g. `TLS_AES_256_GCM_SHA384` ("" before the handshake). */
  get cipher(): string {
    return this.#stream?.cipher ?? "";
  }

  /**
   * Completes the handshake.
   *
   * @throws (rejects with) `Deno.errors.InvalidData` naming why the certificate was refused,
   *   `ConnectionReset` when the peer went away, `BadResource` once closed
   */
  async handshake(): Promise<void> {
    for (;;) {
      const stream = this.#open();
      const r = stream.handshake();
      if (r === 1) return;
      if (r === TLS_FAILED) throw handshakeError(this.#ctx, stream, this.#hungUp);
      await this.#wait(stream.handshakeWantsWrite);
    }
  }

  /**
   * Reads decrypted bytes into `buf`.
   *
   * @returns the byte count, or null at the peer's close
   */
  async read(buf: Uint8Array): Promise<number | null> {
    for (;;) {
      const stream = this.#open();
      const n = stream.read(buf, buf.length);
      if (n > 0) return n;
      if (n === 0) return null;
      if (n === TLS_FAILED) {
        // a FIN or reset without close_notify: as Deno's TLS, a reset is an error
        if (stream.error === "the connection broke" && !this.#hungUp) return null;
        throw new Deno.errors.ConnectionReset(`recv: ${stream.error}`);
      }
      await this.#wait(stream.readWantsWrite);
    }
  }

  /**
   * Encrypts and sends as much of `buf` as the socket takes, waiting first if it takes nothing.
   *
   * @returns the byte count (may be less than `buf.length`)
   */
  async write(buf: Uint8Array): Promise<number> {
    for (;;) {
      const stream = this.#open();
      const n = stream.write(buf, buf.length);
      if (n > 0) return n;
      if (n === TLS_FAILED) throw new Deno.errors.BrokenPipe(`send: ${stream.error}`);
      await this.#wait(!stream.writeWantsRead);
    }
  }

  #open(): TlsStream {
    if (this.#closed || this.#stream === null) throw closedError();
    return this.#stream;
  }

  /** Waits for the next writable (`write`) or readable edge. */
  #wait(write: boolean): Promise<void> {
    if (this.#hungUp) return Promise.resolve(); // the next call says what happened
    return new Promise((resolve, reject) => {
      if (write) this.#writable = { resolve, reject };
      else this.#readable = { resolve, reject };
    });
  }

  /**
   * Keeps the session for the next connection, sends close_notify, frees the TLS and closes the
   * socket; a pending operation rejects with `Deno.errors.BadResource`.
   *
   * @throws `Deno.errors.BadResource` when already closed
   */
  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = null;
    if (stream !== null) {
      this.#ctx.keepSession(stream);
      stream.free();
    }
    this.#loop.close(this.#fd);
    const r = this.#readable, w = this.#writable;
    this.#readable = this.#writable = undefined;
    r?.reject(closedError());
    w?.reject(closedError());
  }

  /** @internal the loop's callback */
  onReadable(): void {
    const r = this.#readable;
    this.#readable = undefined;
    r?.resolve();
  }

  /** @internal the loop's callback */
  onWritable(): void {
    const c = this.#connecting;
    if (c !== undefined) {
      this.#connecting = undefined;
      c.resolve();
      return;
    }
    const w = this.#writable;
    this.#writable = undefined;
    w?.resolve();
  }

  /** @internal the loop's callback */
  onHangup(): void {
    if (this.#connecting !== undefined) {
      const errno = this.#loop.socketError(this.#fd) || LINUX.ECONNREFUSED;
      this.#failConnect(errnoError(errno, "connect"));
      return;
    }
    this.#hungUp = true;
    this.onWritable();
    this.onReadable();
  }
}

/**
 * Why a client's handshake on `stream` failed, as the error Deno's TLS throws: `InvalidData`
 * naming the certificate's fault or OpenSSL's reason, `ConnectionReset` when the peer went away
 * (`hungUp`: the socket said so).
 */
export function handshakeError(ctx: TlsClientContext, stream: TlsStream, hungUp: boolean): Error {
  const verify = ctx.verifyError(stream);
  if (verify !== "") return new Deno.errors.InvalidData(`invalid peer certificate: ${verify}`);
  if (hungUp || stream.error === "the connection broke") {
    return new Deno.errors.ConnectionReset("the server closed the connection in the handshake");
  }
  return new Deno.errors.InvalidData(`TLS handshake failed: ${stream.error}`);
}
