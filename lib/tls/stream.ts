/**
 * One TLS connection over a nonblocking socket: `SSL_set_fd` on the descriptor, driven the way
 * nginx's `ngx_event_openssl.c` drives it. `SSL_do_handshake`, `SSL_read` and `SSL_write` are
 * called from the owner's readiness callbacks; WANT_READ and WANT_WRITE become "wait for the
 * socket", and a read that needs the socket writable (or a write that needs it readable, as a
 * TLS 1.3 key update may) is remembered so the owner retries it on the other event. Writes run
 * with SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: a write that stops
 * short is retried from the first unsent byte, from whatever buffer holds it then, so OpenSSL
 * never keeps a pointer into JavaScript memory between calls.
 *
 * @module
 */
import { cString, type OpenSsl, S } from "./_ssl.ts";
import type { TlsCounters } from "./counters.ts";

/** {@link TlsStream.read}: nothing to read until the socket is readable (or writable) again. */
export const TLS_AGAIN = -1;
/** {@link TlsStream.read} and `write`: the connection failed (or was closed); close it. */
export const TLS_FAILED = -2;

/** A TLS connection on one socket. The owner of the socket owns this and frees it once. */
export class TlsStream {
  #ossl: OpenSsl;
  #counters: TlsCounters;
  #ssl: Deno.PointerValue;
  /** The handshake finished. */
  established = false;
  /** The handshake stopped for the socket to become writable (only then is it retried there). */
  handshakeWantsWrite = false;
  /** The last read stopped for the socket to become writable (retry it then). */
  readWantsWrite = false;
  /** The last write stopped for the socket to become readable (retry it then). */
  writeWantsRead = false;
  /** A fatal error happened: no close_notify is sent. */
  #broken = false;
  /** close_notify was sent (or will never be). */
  #notified = false;
  /** Why the last call failed, when OpenSSL said (for the debug log). */
  error = "";
  /** The failure was the socket's (a reset, a broken pipe), not the TLS's. */
  socketFailed = false;

  /** The server's side of the connection (its peer speaks first), or the client's. */
  readonly server: boolean;

  /**
   * Wraps `ssl` (made by the caller's context, counted there) with `fd` as its socket.
   *
   * @throws when OpenSSL cannot attach the socket (`ssl` is then freed)
   */
  constructor(
    ossl: OpenSsl,
    counters: TlsCounters,
    ssl: NonNullable<Deno.PointerValue>,
    server: boolean,
  ) {
    this.#ossl = ossl;
    this.#counters = counters;
    this.#ssl = ssl;
    this.server = server;
  }

  /** The `SSL*`, for calls this class does not wrap (null once freed). */
  get ssl(): Deno.PointerValue {
    return this.#ssl;
  }

  /** Whether the handshake resumed a session. */
  get resumed(): boolean {
    return this.#ssl !== null && this.#ossl.ssl.SSL_session_reused(this.#ssl) === 1;
  }

  /** The protocol version agreed, e.g. `TLSv1.3` ("" before the handshake or once freed). */
  get protocol(): string {
    if (this.#ssl === null || !this.established) return "";
    return cString(this.#ossl.ssl.SSL_get_version(this.#ssl));
  }

  /** The cipher suite agreed, e.g. `TLS_AES_256_GCM_SHA384` ("" before the handshake). */
  get cipher(): string {
    if (this.#ssl === null || !this.established) return "";
    const sym = this.#ossl.ssl;
    const cipher = sym.SSL_get_current_cipher(this.#ssl);
    return cipher === null ? "" : cString(sym.SSL_CIPHER_get_name(cipher));
  }

  /**
   * Advances the handshake: 1 when it is done, 0 while it waits for the socket, TLS_FAILED when
   * it failed (garbage, a wrong certificate, the peer gone).
   */
  handshake(): number {
    if (this.established) return 1;
    const ssl = this.#ssl;
    if (ssl === null) return TLS_FAILED;
    const sym = this.#ossl.ssl;
    this.handshakeWantsWrite = false;
    const r = sym.SSL_do_handshake(ssl);
    if (r === 1) {
      this.established = true;
      this.#counters.handshakes++;
      if (sym.SSL_session_reused(ssl) === 1) this.#counters.resumed++;
      return 1;
    }
    const err = sym.SSL_get_error(ssl, r);
    if (err === S.SSL_ERROR_WANT_READ) return 0;
    if (err === S.SSL_ERROR_WANT_WRITE) {
      this.handshakeWantsWrite = true;
      return 0;
    }
    this.#fail(err);
    this.#counters.failed++;
    return TLS_FAILED;
  }

  /**
   * Reads decrypted bytes into `buf[0..len)` (one record at most): the count, 0 at the peer's
   * close (close_notify or FIN), TLS_AGAIN when the socket has nothing more, TLS_FAILED on error.
   */
  read(buf: Uint8Array, len: number): number {
    const ssl = this.#ssl;
    if (ssl === null) return TLS_FAILED;
    const sym = this.#ossl.ssl;
    this.readWantsWrite = false;
    const n = sym.SSL_read(ssl, buf, len);
    if (n > 0) return n;
    const err = sym.SSL_get_error(ssl, n);
    if (err === S.SSL_ERROR_WANT_READ) return TLS_AGAIN;
    if (err === S.SSL_ERROR_WANT_WRITE) {
      this.readWantsWrite = true;
      return TLS_AGAIN;
    }
    if (err === S.SSL_ERROR_ZERO_RETURN) return 0;
    this.#fail(err);
    return TLS_FAILED;
  }

  /** Whether OpenSSL holds bytes read from the socket that no read has returned yet. */
  get pending(): boolean {
    return this.#ssl !== null && this.#ossl.ssl.SSL_has_pending(this.#ssl) === 1;
  }

  /**
   * Encrypts and sends `buf[0..len)`, a record at a time: how many bytes left (a record that
   * could not be sent whole counts as not sent and must be offered again first), or TLS_FAILED.
   */
  write(buf: Uint8Array, len: number): number {
    const ssl = this.#ssl;
    if (ssl === null) return TLS_FAILED;
    const sym = this.#ossl.ssl;
    this.writeWantsRead = false;
    let sent = 0;
    while (sent < len) {
      // SSL_write takes a pointer: an offset view costs no copy
      const view = sent === 0 ? buf : buf.subarray(sent, len);
      const n = sym.SSL_write(ssl, view, len - sent);
      if (n > 0) {
        sent += n;
        continue;
      }
      const err = sym.SSL_get_error(ssl, n);
      if (err === S.SSL_ERROR_WANT_WRITE) return sent;
      if (err === S.SSL_ERROR_WANT_READ) {
        this.writeWantsRead = true;
        return sent;
      }
      this.#fail(err);
      return TLS_FAILED;
    }
    return sent;
  }

  #fail(err: number): void {
    this.#broken = true;
    this.socketFailed = err === S.SSL_ERROR_SYSCALL;
    const crypto = this.#ossl.crypto;
    if (err === S.SSL_ERROR_SSL) this.error = this.#ossl.lastError();
    else {
      this.error = err === S.SSL_ERROR_SYSCALL ? "the connection broke" : `SSL error ${err}`;
      crypto.ERR_clear_error();
    }
  }

  /**
   * Sends close_notify when the connection is sound and has not sent it yet (one try, not waited
   * for: nothing is read after it but to drop it, as nginx's lingering close does).
   */
  closeNotify(): void {
    const ssl = this.#ssl;
    if (ssl === null || this.#notified) return;
    this.#notified = true;
    if (this.established && !this.#broken) {
      if (this.#ossl.ssl.SSL_shutdown(ssl) < 0) this.#ossl.crypto.ERR_clear_error();
    }
  }

  /**
   * Sends close_notify as {@link closeNotify} does (the socket is closed next) and frees the
   * `SSL`. Safe to call twice.
   */
  free(): void {
    const ssl = this.#ssl;
    if (ssl === null) return;
    this.closeNotify();
    this.#ssl = null;
    const sym = this.#ossl.ssl;
    if (!this.established || this.#broken) sym.SSL_set_quiet_shutdown(ssl, 1);
    sym.SSL_free(ssl);
    this.#counters.connections--;
    this.#counters.freed++;
  }
}
