/**
 * The socket under a loop client (`_loop_client.ts`): one object per client, reused connection
 * after connection. It connects, starts TLS, and sends and receives in the loop's terms, plain or
 * through OpenSSL alike, remembering what the socket's edges said so that a read that could only
 * say EAGAIN is not made. Failures come back as the error Deno's sockets would throw.
 *
 * @module
 */
import {
  connectSocket,
  errnoError,
  type EventLoop,
  LINUX as C,
  type SockAddr,
  type SocketHandler,
} from "../../loop/mod.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import { TLS_AGAIN, TLS_FAILED, type TlsStream } from "../../tls/stream.ts";

/** Where a loop client connects: the loop, the address, and TLS (null for http). */
export interface LoopTarget {
  readonly loop: EventLoop;
  readonly tls: TlsClientContext | null;
  /** The name sent as SNI and checked against the certificate. */
  readonly servername: string;
  /** The address every connection uses once known (a name: the first of its that accepted). */
  addr: SockAddr | null;
  /** The name's addresses in the resolver's order (looked up once). */
  candidates(): Promise<SockAddr[]>;
}

/** {@link LoopConn.send} and `recv`: nothing now, the next edge says when. */
export const WAIT = -1;

const EPIPE = 32;

/** One client's socket (and TLS) on the loop. */
export class LoopConn {
  readonly target: LoopTarget;
  fd = -1;
  tls: TlsStream | null = null;
  /** The socket may hold bytes: false after EAGAIN or a short read until the next edge. */
  canRead = false;
  /** The peer's FIN or an error was seen: no edge comes again, so reads go on until the end. */
  hungUp = false;
  /** The reset a hang-up during the connect left (SO_ERROR, which reading clears). */
  error = 0;

  constructor(target: LoopTarget) {
    this.target = target;
  }

  /** Starts a connect to `addr`, its events to `owner`: 0, or the errno it failed with at once. */
  open(addr: SockAddr, owner: SocketHandler): number {
    const fd = connectSocket(this.target.loop, addr, owner);
    if (fd < 0) return -fd;
    this.fd = fd;
    this.canRead = this.hungUp = false;
    this.error = 0;
    this.target.loop.setOption(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    return 0;
  }

  /** Starts TLS on the connected socket: false when OpenSSL could not. */
  startTls(): boolean {
    this.tls = this.target.tls!.connect(this.fd, this.target.servername);
    return this.tls !== null;
  }

  /** Sends from `view`: the count, WAIT, or the error. */
  send(view: Uint8Array): number | Error {
    const tls = this.tls;
    if (tls !== null) {
      const n = tls.write(view, view.length);
      if (n === TLS_FAILED) return new Deno.errors.BrokenPipe(`send: ${tls.error}`);
      return n === 0 ? WAIT : n;
    }
    for (;;) {
      const n = this.target.loop.send(this.fd, view, view.length);
      if (n > 0) return n;
      if (n === -C.EINTR) continue;
      if (n === -C.EAGAIN && !this.hungUp) return WAIT;
      const errno = n === -C.EAGAIN
        ? this.error || EPIPE
        : n === -EPIPE && this.error !== 0
        ? this.error
        : -n;
      return errnoError(errno, "send");
    }
  }

  /** Receives into `buf`: the count, 0 at the end, WAIT, or the error. */
  recv(buf: Uint8Array): number | Error {
    return this.tls === null ? this.#recvPlain(buf) : this.#recvTls(this.tls, buf);
  }

  #recvPlain(buf: Uint8Array): number | Error {
    if (!this.canRead) return WAIT;
    for (;;) {
      const n = this.target.loop.recv(this.fd, buf, buf.length);
      if (n > 0) {
        // a short read drained the socket: the next bytes come with an edge
        if (n < buf.length && !this.hungUp) this.canRead = false;
        return n;
      }
      if (n === 0) break;
      if (n === -C.EINTR) continue;
      if (n !== -C.EAGAIN) return errnoError(-n, "recv");
      if (!this.hungUp) {
        this.canRead = false;
        return WAIT;
      }
      break;
    }
    return this.error === 0 ? 0 : errnoError(this.error, "recv");
  }

  #recvTls(tls: TlsStream, buf: Uint8Array): number | Error {
    // nothing new on the socket nor held by OpenSSL: the read would only say EAGAIN
    if (!this.canRead && !this.hungUp && !tls.readWantsWrite && !tls.pending) return WAIT;
    const n = tls.read(buf, buf.length);
    if (n >= 0) return n;
    if (n === TLS_AGAIN) {
      this.canRead = false;
      return WAIT;
    }
    // a FIN or reset without close_notify: as Deno's TLS, a reset is an error
    if (tls.error === "the connection broke" && !this.hungUp) return 0;
    return new Deno.errors.ConnectionReset(`recv: ${tls.error}`);
  }

  /** Keeps the TLS session for the next connection, frees the TLS and closes the socket. */
  close(): void {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    const tls = this.tls;
    if (tls !== null) {
      this.tls = null;
      this.target.tls!.keepSession(tls);
      tls.free();
    }
    this.target.loop.close(fd);
  }
}
