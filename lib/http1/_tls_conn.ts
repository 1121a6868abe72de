/**
 * The owner of one HTTPS connection on the epoll server: the plain connection's twin, selected at
 * accept when the server has a TLS context. Its socket's events go through a
 * {@linkcode TlsWire} (as the balancer's connections' do), which drives the handshake and turns
 * OpenSSL's crossed wants into the events this expects; the session reads what the wire
 * decrypts and writes through it. Bodies are streamed in bounded writes (no sendfile: without
 * kernel TLS the bytes must pass through OpenSSL). The TLS itself lives in `lib/tls/`.
 *
 * @module
 */
import { type DeadlineOwner, type EventLoop, Handle, LINUX } from "../loop/mod.ts";
import {
  beginLinger,
  dropInput,
  type Http1Shared,
  refreshClock,
  type Served,
} from "./connection.ts";
import type { TlsServerContext } from "../tls/server.ts";
import type { TlsStream } from "../tls/stream.ts";
import { TlsWire } from "../tls/wire.ts";
import type { Http1Env } from "./_env.ts";
import type { SessionIO } from "./_io.ts";
import { Session } from "./_session.ts";

/** What a TLS connection needs from its server. */
export interface TlsConnHost {
  loop: EventLoop;
  env: Http1Env;
  /** The server's shared read buffer. */
  readBuf: Uint8Array;
  /** Called at the start of every callback (refreshes the clock and the Date header). */
  tick(): void;
  /** The connection closed (its fd and TLS are gone). */
  closed(conn: Served): void;
  /** A handshake failed: why, for the debug log. */
  handshakeFailed(why: string): void;
}

/** One HTTPS connection: its fd's handle, its TLS wire and its HTTP/1.1 session. */
export class TlsConn implements Served, DeadlineOwner, SessionIO {
  readonly session: Session;
  /** The descriptor's owner: fd, deadline slot, close (the TLS stream only borrows the fd). */
  readonly #handle: Handle;
  readonly #wire: TlsWire;
  #host: TlsConnHost;
  /** The peer's FIN arrived: everything it sent has been read. */
  #fin = false;
  /** Closing gently (close_notify sent, the write side shut): bytes dropped (-1: not lingering). */
  #dropped = -1;

  constructor(host: TlsConnHost, fd: number, tls: TlsStream, client: string) {
    this.#host = host;
    this.#handle = new Handle(host.loop, fd, this);
    this.#wire = new TlsWire(host.loop, this.#handle, tls, this);
    // the session's head deadline runs from here, so it also times out a stalled handshake
    this.session = new Session(host.env, this, client, host.loop.now);
  }

  /** Whether the descriptor is still open. */
  get open(): boolean {
    return !this.#handle.closed;
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number {
    return this.#handle.fd;
  }

  /** Registers the socket, its events going to the wire (which hands them on once shaken). */
  watch(): number {
    return this.#handle.watch(this.#wire);
  }

  /** Readable (or, from the wire, the handshake just done): feed the session what decrypts. */
  onReadable(rdhup = false): void {
    if (rdhup) this.#fin = true;
    if (this.#dropped >= 0) return this.#drop();
    this.#host.tick();
    const session = this.session;
    const buf = this.#host.readBuf;
    while (session.reading) {
      // a count short of the buffer: the socket is drained (see TlsWire.recv)
      const n = this.#wire.recv(buf, buf.length);
      if (n > 0) {
        session.onData(buf, n);
        if (n < buf.length && !this.#fin) return;
        continue;
      }
      if (n === 0) return session.finish();
      if (n !== -LINUX.EAGAIN) session.close();
      return;
    }
  }

  onWritable(): void {
    if (this.#dropped >= 0) return;
    this.#host.tick();
    if (!this.session.closed) this.session.onWritable(this.#host.loop.now);
  }

  /** A reset, both directions done, or (from the wire) a failed handshake. */
  onHangup(): void {
    if (this.#dropped >= 0) return this.#closeNow();
    const tls = this.#wire.stream;
    if (!tls.established && tls.error !== "") this.#host.handshakeFailed(tls.error);
    this.session.close();
  }

  onDeadline(): void {
    if (this.#dropped >= 0) return this.#closeNow();
    this.#host.tick();
    this.session.onTimeout();
  }

  send(bytes: Uint8Array, len: number): number {
    const n = this.#wire.send(bytes, len);
    return n >= 0 ? n : n === -LINUX.EAGAIN ? 0 : -1;
  }

  /**
   * Closes; `gently` with input left unread (or maybe left, past what OpenSSL has decrypted) it
   * lingers as the plain connection does: close_notify, the write side shut, then the peer's
   * bytes read and dropped undecrypted until its FIN, LINGER_MS or LINGER_BYTES, so the client
   * reads the last answer instead of a reset.
   */
  close(gently = false, unread = false): void {
    if (this.#handle.closed || this.#dropped >= 0) return;
    const tls = this.#wire.stream;
    const handle = this.#handle;
    const { loop } = this.#host;
    // close_notify goes out (and later the SSL is freed) while the fd is still open
    tls.closeNotify();
    if (gently && (unread || tls.pending) && !this.#fin && beginLinger(loop, handle)) {
      this.#dropped = 0;
      return this.#drop();
    }
    this.#closeNow();
  }

  /** Reads and drops what the peer still sends, until its FIN, an error or the bound. */
  #drop(): void {
    const { loop, readBuf } = this.#host;
    this.#dropped = dropInput(loop, this.#handle.fd, readBuf, this.#dropped);
    if (this.#dropped < 0) this.#closeNow();
  }

  #closeNow(): void {
    if (this.#handle.closed) return;
    this.#dropped = -1;
    this.#wire.release();
    this.#handle.close();
    this.#host.closed(this);
  }

  resume(): void {
    this.onReadable();
  }

  setDeadline(at: number): void {
    if (at === 0) this.#handle.clearDeadline();
    else this.#handle.setDeadline(at);
  }
}

/**
 * What makes each socket `tls` accepts a {@link TlsConn} (null when OpenSSL could not start
 * one); `handshakeFailed` hears why a handshake failed.
 */
export function tlsAcceptor(
  shared: Http1Shared,
  tls: TlsServerContext,
  handshakeFailed: (why: string) => void,
): (fd: number, client: string) => TlsConn | null {
  const { loop } = shared;
  const host: TlsConnHost = {
    loop,
    env: shared.env,
    readBuf: shared.readBuf,
    tick: () => refreshClock(shared),
    closed: (conn) => shared.onClosed(conn),
    handshakeFailed,
  };
  return (fd, client) => {
    tls.rotateTickets(loop.now);
    const stream = tls.accept(fd);
    return stream === null ? null : new TlsConn(host, fd, stream, client);
  };
}
