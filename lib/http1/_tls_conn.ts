/**
 * The owner of one HTTPS connection on the epoll server: the plain connection's twin, selected at
 * accept when the server has a TLS context. It drives the handshake from readiness, then feeds
 * the session what `SSL_read` decrypts and sends what the session writes through `SSL_write`;
 * bodies are streamed in bounded writes (no sendfile: without kernel TLS the bytes must pass
 * through OpenSSL). The TLS itself lives in `lib/tls/`; this file only joins it to the session.
 *
 * @module
 */
import { type DeadlineOwner, type EventLoop, Handle } from "../loop/mod.ts";
import { Linger, type Served } from "./connection.ts";
import { TLS_AGAIN, TLS_FAILED, type TlsStream } from "../tls/stream.ts";
import type { Http1Env } from "./_env.ts";
import type { SessionIO } from "./_io.ts";
import { Session } from "./_session.ts";

/** Decrypted bytes and records of one readable edge below which the socket counts as drained. */
const DRAINED_BYTES = 4096;
const DRAINED_RECORDS = 4;

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

/** One HTTPS connection: its fd's handle, its TLS stream and its HTTP/1.1 session. */
export class TlsConn implements Served, DeadlineOwner, SessionIO {
  readonly session: Session;
  /** The descriptor's owner: fd, deadline slot, close (the TLS stream only borrows the fd). */
  readonly #handle: Handle;
  #tls: TlsStream;
  #host: TlsConnHost;
  /** The peer's FIN arrived: everything it sent has been read. */
  #fin = false;
  /** Closing gently: close_notify sent, the write side shut, input read and dropped. */
  readonly #linger = new Linger();

  constructor(host: TlsConnHost, fd: number, tls: TlsStream, client: string) {
    this.#host = host;
    this.#handle = new Handle(host.loop, fd, this);
    this.#tls = tls;
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

  watch(): number {
    return this.#handle.watch(this);
  }

  /** Runs the handshake; true once it is done, false while waiting (or after closing). */
  #handshaken(): boolean {
    const tls = this.#tls;
    if (tls.established) return true;
    const r = tls.handshake();
    if (r === 1) return true;
    if (r === TLS_FAILED) {
      this.#host.handshakeFailed(tls.error);
      this.session.close();
    }
    return false;
  }

  onReadable(rdhup = false): void {
    if (rdhup) this.#fin = true;
    if (this.#linger.active) return this.#drop();
    this.#host.tick();
    if (!this.#handshaken()) return;
    const tls = this.#tls;
    const session = this.session;
    // a write that stopped for a read (a TLS 1.3 key update) goes on now
    if (tls.writeWantsRead) session.onWritable(this.#host.loop.now);
    const buf = this.#host.readBuf;
    // bytes OpenSSL already held came from an earlier recv, which may have filled its buffer
    const fresh = !tls.pending;
    let got = 0;
    let records = 0;
    while (session.reading) {
      const n = tls.read(buf, buf.length);
      if (n > 0) {
        session.onData(buf, n);
        // Read-ahead takes up to ~18 KiB from the socket per recv: a few small records, all
        // consumed and all read from the socket in this call, came from a recv that did not
        // fill it, so the socket is drained and the read that would only say EAGAIN (one
        // syscall per request) is skipped, as a short plain recv is. Past these bounds, or
        // when OpenSSL held bytes from before, read until OpenSSL waits.
        got += n;
        if (
          fresh && got < DRAINED_BYTES && ++records <= DRAINED_RECORDS && !rdhup && !tls.pending
        ) return;
        continue;
      }
      if (n === 0) return session.finish();
      if (n !== TLS_AGAIN) session.close();
      return;
    }
  }

  onWritable(): void {
    if (this.#linger.active) return;
    this.#host.tick();
    const tls = this.#tls;
    if (!tls.established) {
      // only a handshake that waited to write goes on here (a writable edge comes with every
      // registration, and a needless try costs a recv); once done, what came with it is read
      if (tls.handshakeWantsWrite && this.#handshaken()) this.onReadable();
      return;
    }
    if (tls.readWantsWrite) this.onReadable();
    if (!this.session.closed) this.session.onWritable(this.#host.loop.now);
  }

  onHangup(): void {
    if (this.#linger.active) this.#closeNow();
    else this.session.close();
  }

  onDeadline(): void {
    if (this.#linger.active) return this.#closeNow();
    this.#host.tick();
    this.session.onTimeout();
  }

  send(bytes: Uint8Array, len: number): number {
    const n = this.#tls.write(bytes, len);
    return n === TLS_FAILED ? -1 : n;
  }

  /**
   * Closes; `gently` with input left unread (or maybe left, past what OpenSSL has decrypted) it
   * lingers as the plain connection does: close_notify, the write side shut, then the peer's
   * bytes read and dropped undecrypted until its FIN, LINGER_MS or LINGER_BYTES, so the client
   * reads the last answer instead of a reset.
   */
  close(gently = false, unread = false): void {
    if (this.#handle.closed || this.#linger.active) return;
    const tls = this.#tls;
    const handle = this.#handle;
    const { loop } = this.#host;
    // close_notify goes out (and later the SSL is freed) while the fd is still open
    tls.closeNotify();
    if (gently && (unread || tls.pending) && !this.#fin && this.#linger.begin(loop, handle)) {
      return this.#drop();
    }
    this.#closeNow();
  }

  /** Reads and drops what the peer still sends, until its FIN, an error or the bound. */
  #drop(): void {
    const { loop, readBuf } = this.#host;
    if (!this.#linger.drop(loop, this.#handle.fd, readBuf)) this.#closeNow();
  }

  #closeNow(): void {
    if (this.#handle.closed) return;
    this.#linger.end();
    this.#tls.free();
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
