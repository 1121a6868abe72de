/**
 * One accepted socket served as HTTP/1.1 on the event loop: the descriptor's only owner. It reads
 * into the server's shared buffer and feeds its {@link Session}, sends what the session gives it
 * (send, writev, sendfile), remembers the peer's FIN across a pause in reading, retries EINTR,
 * and closes, lingering when input was left unread: it shuts its write side and reads and drops
 * for a while (nginx's `lingering_close`), so the client reads the last answer instead of a reset.
 *
 * @module
 */
import {
  type DeadlineOwner,
  type EventLoop,
  Handle,
  LINUX,
  type SocketHandler,
} from "../loop/mod.ts";
import type { FileSender } from "../loop/sendfile.ts";
import type { Gather } from "../loop/writev.ts";
import type { FileBody } from "../http/file_response.ts";
import type { Http1Env } from "./_env.ts";
import { FILE_FAILED, FILE_FULL, type SessionIO } from "./_io.ts";
import { Session } from "./_session.ts";

/** What the connections of one server share. */
export interface Http1Shared {
  loop: EventLoop;
  env: Http1Env;
  /** The one read buffer. */
  readBuf: Uint8Array;
  files: FileSender;
  gather: Gather;
  /** When the Date header was last brought up to date (the loop's clock). */
  dateAt: number;
  /** Called once the descriptor is closed. */
  onClosed(conn: Served): void;
}

/** A connection the server serves, plain ({@link Http1Connection}) or TLS (`TlsConn`). */
export interface Served extends SocketHandler {
  readonly session: Session;
  /** Whether the descriptor is still open (the session may be done while it lingers). */
  readonly open: boolean;
  /** Registers the descriptor with the loop: 0, or the errno (the connection stays open). */
  watch(): number;
}

/** Brings the loop's clock (and, every DATE_CHECK_MS, the Date header) up to date. */
export function refreshClock(shared: Http1Shared): void {
  const { loop, env } = shared;
  const now = env.now = loop.now;
  if (now - shared.dateAt >= DATE_CHECK_MS) {
    shared.dateAt = now;
    env.date.update(Date.now());
  }
}

/** send(2)'s MSG_MORE: hold the bytes for what follows (here, the FIN). */
const MSG_MORE = 0x8000;
/** How stale the Date header may get (the loop's clock is read once per round anyway). */
const DATE_CHECK_MS = 50;
/** How long a lingering close reads and drops before it closes anyway. */
export const LINGER_MS = 2000;
/** The most it drops before closing anyway. */
export const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * A lingering close's read: takes and drops what `fd` holds. Returns the bytes dropped so far
 * (`dropped` plus these), or -1 once the socket is done with (the peer's FIN, an error, past
 * LINGER_BYTES): close it then.
 */
export function dropInput(loop: EventLoop, fd: number, buf: Uint8Array, dropped: number): number {
  while (true) {
    const n = loop.recv(fd, buf, buf.length);
    if (n > 0) {
      dropped += n;
      if (dropped > LINGER_BYTES) return -1;
      continue;
    }
    if (n === -LINUX.EINTR) continue;
    return n === -LINUX.EAGAIN ? dropped : -1;
  }
}

/**
 * Starts a connection's lingering close (nginx's `lingering_close`): shuts `handle`'s write side
 * and gives it LINGER_MS; its owner then reads and drops with {@link dropInput} until the peer's
 * FIN, LINGER_MS or LINGER_BYTES, so the client reads the last answer instead of a reset. The
 * state is the owner's one number (the bytes dropped, -1 while not lingering): nothing is made
 * for the few connections that linger. Returns false when the shutdown failed (close at once).
 */
export function beginLinger(loop: EventLoop, handle: Handle): boolean {
  if (loop.shutdownWrite(handle.fd) !== 0) return false;
  handle.setDeadline(loop.now + LINGER_MS);
  return true;
}

/** One client connection of the epoll HTTP/1.1 server. */
export class Http1Connection implements Served, DeadlineOwner, SessionIO {
  readonly session: Session;
  /** The descriptor's owner: fd, deadline slot, close. */
  readonly #handle: Handle;
  #shared: Http1Shared;
  /** The peer's FIN arrived (maybe while the session was not reading). */
  #fin = false;
  /** The last read filled the buffer: more may be waiting in the socket. */
  #more = false;
  /** Closing gently: bytes dropped since the write side was shut (-1: not lingering). */
  #dropped = -1;

  constructor(shared: Http1Shared, fd: number, client: string) {
    this.#shared = shared;
    this.#handle = new Handle(shared.loop, fd, this);
    this.session = new Session(shared.env, this, client, shared.loop.now);
  }

  /** Whether the descriptor is still open (the session may be done while it lingers). */
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

  onReadable(rdhup: boolean): void {
    if (rdhup) this.#fin = true;
    if (this.#dropped >= 0) return this.#drop();
    const shared = this.#shared;
    const { loop, readBuf } = shared;
    refreshClock(shared);
    const session = this.session;
    const handle = this.#handle;
    while (session.reading) {
      const n = loop.recv(handle.fd, readBuf, readBuf.length);
      if (n > 0) {
        this.#more = n === readBuf.length;
        session.onData(readBuf, n);
        if (!this.#more && !this.#fin) return;
        continue;
      }
      this.#more = false;
      if (n === 0) return session.finish();
      if (n === -LINUX.EINTR) continue;
      if (n !== -LINUX.EAGAIN) session.close();
      return;
    }
  }

  onWritable(): void {
    if (this.#dropped >= 0) return;
    this.#shared.env.now = this.#shared.loop.now;
    this.session.onWritable(this.#shared.loop.now);
  }

  onHangup(): void {
    if (this.#dropped >= 0) this.#closeNow();
    else this.session.close();
  }

  onDeadline(): void {
    if (this.#dropped >= 0) return this.#closeNow();
    this.#shared.env.now = this.#shared.loop.now;
    this.session.onTimeout();
  }

  send(bytes: Uint8Array, len: number, more = false): number {
    const { loop } = this.#shared;
    const fd = this.#handle.fd;
    while (true) {
      const n = more
        ? loop.libc.sym.send(fd, bytes, BigInt(len), LINUX.MSG_NOSIGNAL | MSG_MORE)
        : loop.send(fd, bytes, len);
      if (n >= 0) return n;
      const errno = more ? loop.libc.errno() : -n;
      if (errno === LINUX.EINTR) continue;
      return errno === LINUX.EAGAIN ? 0 : -1;
    }
  }

  sendv(parts: Uint8Array[]): number {
    const fd = this.#handle.fd;
    while (true) {
      const n = this.#shared.gather.send(fd, parts);
      if (n >= 0) return n;
      if (n === -LINUX.EINTR) continue;
      return n === -LINUX.EAGAIN ? 0 : -1;
    }
  }

  openFile(body: FileBody): number {
    return this.#shared.files.open(body.path, body);
  }

  sendFile(file: number, offset: number, count: number): number {
    const fd = this.#handle.fd;
    while (true) {
      const n = this.#shared.files.send(fd, file, offset, count);
      if (n >= 0) return n;
      if (n === -LINUX.EINTR) continue;
      return n === -LINUX.EAGAIN ? FILE_FULL : FILE_FAILED;
    }
  }

  closeFile(file: number): void {
    this.#shared.files.close(file);
  }

  close(gently = false, unread = false): void {
    if (this.#handle.closed || this.#dropped >= 0) return;
    // a FIN from the peer means everything it sent was read: nothing to linger for
    const linger = gently && (unread || this.#more) && !this.#fin;
    if (linger && beginLinger(this.#shared.loop, this.#handle)) {
      this.#dropped = 0;
      return this.#drop();
    }
    this.#closeNow();
  }

  /** Reads and drops what the peer still sends, until its FIN, an error or the bound. */
  #drop(): void {
    const { loop, readBuf } = this.#shared;
    this.#dropped = dropInput(loop, this.#handle.fd, readBuf, this.#dropped);
    if (this.#dropped < 0) this.#closeNow();
  }

  #closeNow(): void {
    if (!this.#handle.close()) return;
    this.#dropped = -1;
    this.#shared.onClosed(this);
  }

  resume(): void {
    this.onReadable(false);
  }

  setDeadline(at: number): void {
    if (at === 0) this.#handle.clearDeadline();
    else this.#handle.setDeadline(at);
  }
}
