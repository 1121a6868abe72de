/**
 * Raw libc sockets for the fault tests: what Deno.net cannot do, such as a reset (SO_LINGER 0)
 * instead of a FIN. Linux only; every call is synchronous and never blocks for long (connects go
 * to loopback listeners, which the kernel completes without the listening program running).
 */
import { encodeSockAddr } from "../../lib/loop/sockaddr.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SO_RCVBUF = 8;
const MSG_DONTWAIT = 0x40;

/** A blocking TCP client socket that can end with a reset. */
export class RawClient implements Disposable {
  #lib = Deno.dlopen("libc.so.6", SYMBOLS);
  #fd: number;

  /** The descriptor (for tests that register it with an event loop). */
  get fd(): number {
    return this.#fd;
  }

  /** An accepted socket. */
  static adopt(fd: number): RawClient {
    return new RawClient(fd);
  }

  /** Connects to host:port; `rcvbuf` shrinks the receive buffer first (a slow reader's window). */
  static connect(host: string, port: number, rcvbuf?: number): RawClient {
    return new RawClient(-1, host, port, rcvbuf);
  }

  private constructor(fd: number, host = "", port = 0, rcvbuf?: number) {
    this.#fd = fd;
    if (fd >= 0) return;
    const sa = encodeSockAddr(host, port);
    const s = this.#lib.symbols;
    this.#fd = s.socket(sa.family, 1, 0);
    if (this.#fd < 0) throw new Error("socket() failed");
    if (rcvbuf !== undefined) {
      s.setsockopt(this.#fd, SOL_SOCKET, SO_RCVBUF, new Int32Array([rcvbuf]), 4);
    }
    if (s.connect(this.#fd, sa.bytes, sa.bytes.length) !== 0) {
      s.close(this.#fd);
      this.#lib.close();
      throw new Error(`connect() to ${host}:${port} failed`);
    }
  }

  /** Sends all of `data` (small amounts: the send blocks until the kernel takes it). */
  send(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) {
      const n = Number(
        this.#lib.symbols.send(this.#fd, data.subarray(off), BigInt(data.length - off), 0),
      );
      if (n < 0) throw new Error("send() failed");
      off += n;
    }
  }

  /** Sends what the socket takes now, without waiting: the byte count, or -1 (EAGAIN or a failure). */
  sendNow(data: Uint8Array): number {
    return Number(this.#lib.symbols.send(this.#fd, data, BigInt(data.length), MSG_DONTWAIT));
  }

  /** Reads what has arrived, without waiting: the byte count, 0 at EOF, -1 when nothing came. */
  recvNow(buf: Uint8Array): number {
    return Number(this.#lib.symbols.recv(this.#fd, buf, BigInt(buf.length), MSG_DONTWAIT));
  }

  /** Like {@link recvNow}, but a failure is the errno negated (-11: nothing yet, -104: a reset). */
  recvErrno(buf: Uint8Array): number {
    const n = this.recvNow(buf);
    if (n >= 0) return n;
    return -new Deno.UnsafePointerView(this.#lib.symbols.__errno_location()!).getInt32(0);
  }

  /** Closes with a reset (RST) instead of a FIN, dropping anything unread. */
  reset(): void {
    if (this.#fd < 0) return;
    this.#lib.symbols.setsockopt(this.#fd, SOL_SOCKET, SO_LINGER, new Int32Array([1, 0]), 8);
    this[Symbol.dispose]();
  }

  [Symbol.dispose](): void {
    if (this.#fd >= 0) {
      this.#lib.symbols.close(this.#fd);
      this.#fd = -1;
      this.#lib.close();
    }
  }
}

const LISTEN_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** A nonblocking listener whose accepted sockets are RawClients (so they can reset). */
export class RawListener implements Disposable {
  #lib = Deno.dlopen("libc.so.6", LISTEN_SYMBOLS);
  #fd: number;
  readonly port: number;

  constructor() {
    const s = this.#lib.symbols;
    const sa = encodeSockAddr("127.0.0.1", 0);
    this.#fd = s.socket(sa.family, 1 | 0o4000, 0);
    if (s.bind(this.#fd, sa.bytes, sa.bytes.length) !== 0 || s.listen(this.#fd, 16) !== 0) {
      throw new Error("bind/listen failed");
    }
    const out = new Uint8Array(16);
    s.getsockname(this.#fd, out, new Uint32Array([16]));
    this.port = (out[2]! << 8) | out[3]!;
  }

  /**
   * The next connection, without yielding: spins (bounded) while a loopback connect that has
   * just returned completes, so nothing else on this thread runs in between.
   */
  acceptNow(): RawClient {
    for (let i = 0; i < 1_000_000; i++) {
      const fd = this.#lib.symbols.accept4(this.#fd, null, null, 0);
      if (fd >= 0) return RawClient.adopt(fd);
    }
    throw new Error("nothing connected");
  }

  /** Waits (polling, up to `ms`) for the next connection. */
  async accept(ms = 5000): Promise<RawClient> {
    for (let waited = 0; waited < ms; waited += 5) {
      const fd = this.#lib.symbols.accept4(this.#fd, null, null, 0);
      if (fd >= 0) return RawClient.adopt(fd);
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error("nothing connected");
  }

  [Symbol.dispose](): void {
    if (this.#fd >= 0) {
      this.#lib.symbols.close(this.#fd);
      this.#fd = -1;
      this.#lib.close();
    }
  }
}
