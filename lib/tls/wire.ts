/**
 * A TLS connection on the loop as a {@linkcode Wire}: the owner reads and writes plaintext in
 * the loop's terms (a count, 0 at the end, the errno negated) and gets its socket's events
 * through this wire, which runs the handshake first (a client's, implicitly, on its first
 * events) and turns OpenSSL's crossed wants into the event the owner expects: a read that must
 * wait for the socket to be writable is retried by the owner's `onReadable` on that edge, and a
 * write that waits for a readable edge by its `onWritable`. What the owner gets is what a plain
 * socket would give, so a tunnel or an HTTP stream runs over TLS unchanged.
 *
 * @module
 */
import type { EventLoop, HasFd, SocketHandler, Wire } from "../loop/mod.ts";
import { LINUX as C } from "../loop/mod.ts";
import { TLS_AGAIN, TLS_FAILED, type TlsStream } from "./stream.ts";

/** Decrypted bytes from one fresh recv below which the socket counts as drained. */
const DRAINED_BYTES = 4096;

const ECONNRESET = 104;

/** EPROTO: what a TLS failure (a bad record, a failed handshake) reads as, errno-wise. */
export const EPROTO = 71;

/** A TLS stream on one socket, read and written as a {@link Wire}. */
export class TlsWire implements Wire, SocketHandler {
  readonly #loop: EventLoop;
  #socket: HasFd;
  readonly stream: TlsStream;
  /** Who gets the socket's events once the handshake is done (changes at a hand-over). */
  owner: SocketHandler;
  /**
   * Whether OpenSSL may hold bytes no recv has returned: false only after a recv that saw it
   * hold none, which spares the next recv its SSL_has_pending call (one per keep-alive request).
   */
  #held = true;

  /**
   * @param socket where the descriptor is read (a `Handle`, or an owner keeping its own fd)
   * @param stream the TLS stream on it (this wire frees it at {@link release})
   * @param owner who gets the socket's events
   */
  constructor(loop: EventLoop, socket: HasFd, stream: TlsStream, owner: SocketHandler) {
    this.#loop = loop;
    this.#socket = socket;
    this.stream = stream;
    this.owner = owner;
  }

  /** Hands the wire to a new owner of the socket (a gate's handshake done: the connection's). */
  attach(owner: SocketHandler, socket: HasFd): void {
    this.owner = owner;
    this.#socket = socket;
  }

  /** Why the TLS failed, when it did (OpenSSL's reason). */
  get error(): string {
    return this.stream.error;
  }

  /** Runs the handshake on an event; once done, the owner hears of both directions. */
  #shake(rdhup: boolean): void {
    const r = this.stream.handshake();
    if (r === 0) return;
    if (r === TLS_FAILED) return this.owner.onHangup();
    this.owner.onWritable();
    this.owner.onReadable(rdhup);
  }

  onReadable(rdhup: boolean): void {
    const tls = this.stream;
    if (!tls.established) return this.#shake(rdhup);
    if (tls.writeWantsRead) this.owner.onWritable();
    this.owner.onReadable(rdhup);
  }

  onWritable(): void {
    const tls = this.stream;
    if (!tls.established) {
      // a server's peer speaks first: its handshake goes on on readable edges, and on writable
      // ones only when OpenSSL asked to write (each registration's writable edge would cost a
      // recv); a client's starts on its first (connected) edge
      if (tls.server && !tls.handshakeWantsWrite) return;
      return this.#shake(false);
    }
    if (tls.readWantsWrite) this.owner.onReadable(false);
    this.owner.onWritable();
  }

  onHangup(): void {
    this.owner.onHangup();
  }

  /** The handshake's state for a read or write: 1 done, else what the call returns. */
  #ready(): number {
    const r = this.stream.handshake();
    return r === 1 ? 1 : r === 0 ? -C.EAGAIN : -EPROTO;
  }

  /**
   * Reads records until `length` bytes, the socket has nothing more, or the end: a count short
   * of `length` means the socket is drained, as a short recv() would. An end or a failure after
   * some bytes is said by the next call.
   */
  recv(buf: Uint8Array, length: number): number {
    const tls = this.stream;
    if (!tls.established) {
      const r = this.#ready();
      if (r !== 1) return r;
    }
    // bytes OpenSSL already held came from an earlier recv, which may have filled its buffer
    const fresh = !this.#held || !tls.pending;
    this.#held = true;
    let got = 0;
    while (got < length) {
      const n = tls.read(got === 0 ? buf : buf.subarray(got), length - got);
      if (n > 0) {
        got += n;
        // Read-ahead takes up to ~18 KiB from the socket per recv: a few small records, all
        // consumed, came from a recv that did not fill it, so the socket is drained and the
        // read that would only say EAGAIN (a syscall per request) is skipped, as a short plain
        // recv is. Past this bound, or with bytes held from before, read until it waits.
        if (fresh && got < DRAINED_BYTES && !tls.pending) {
          this.#held = false;
          return got;
        }
        continue;
      }
      if (got > 0) return got;
      if (n === 0) return 0;
      return n === TLS_AGAIN ? -C.EAGAIN : this.#failure();
    }
    return got;
  }

  /** Encrypts and sends: the count taken (whole records), -EAGAIN for none, or -EPROTO. */
  send(buf: Uint8Array, length: number): number {
    const tls = this.stream;
    if (!tls.established) {
      const r = this.#ready();
      if (r !== 1) return r;
    }
    const n = tls.write(buf, length);
    // a write that waited on a read may have read records in (a TLS 1.3 key update)
    if (tls.writeWantsRead) this.#held = true;
    if (n === TLS_FAILED) return this.#failure();
    return n === 0 && length > 0 ? -C.EAGAIN : n;
  }

  /** A failure in the loop's terms: the socket's (a reset) or the TLS's (EPROTO). */
  #failure(): number {
    return this.stream.socketFailed ? -ECONNRESET : -EPROTO;
  }

  /** close_notify, then the FIN. */
  shutdownWrite(): number {
    this.stream.closeNotify();
    return this.#loop.shutdownWrite(this.#socket.fd);
  }

  /** Frees the TLS stream (close_notify when sound); call before the descriptor closes. */
  release(): void {
    this.stream.free();
  }
}
