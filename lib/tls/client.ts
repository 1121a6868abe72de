/**
 * A TLS client context, as wrk and ab use OpenSSL: one `SSL_CTX` for a run, certificates checked
 * against the system's store plus any given (`--cacert`) or not at all (`--insecure`), the host
 * name checked and sent (SNI), ALPN `http/1.1`, and the last session kept so that every new
 * connection of the run resumes it (TLS 1.2 session or TLS 1.3 ticket), as wrk's do.
 *
 * @module
 */
import { baseContext, type OpenSsl, openSsl, S, toCString } from "./_ssl.ts";
import { TlsConfigError } from "./_pem.ts";
import { newCounters, type TlsCounters } from "./counters.ts";
import { TlsStream } from "./stream.ts";

/** Options of {@link TlsClientContext}. */
export interface TlsClientOptions {
  /** PEM certificates to trust besides the system's. @default {[]} */
  caCerts?: string[];
  /** Check no certificate at all. @default {false} */
  insecure?: boolean;
  /** ALPN protocols to offer. @default {["http/1.1"]} */
  alpn?: string[];
  /** Resume the last session on new connections. @default {true} */
  resume?: boolean;
}

/** One run's client TLS. Call {@link close} once every stream is freed. */
export class TlsClientContext {
  readonly ossl: OpenSsl;
  readonly counters: TlsCounters = newCounters();
  #ctx: NonNullable<Deno.PointerValue>;
  #session: Deno.PointerValue = null;
  #resume: boolean;
  #closed = false;
  #lastName: { text: string; name: Uint8Array<ArrayBuffer>; ip: boolean } | null = null;

  /**
   * @throws {TlsConfigError} when a CA certificate cannot be used; other errors when OpenSSL 3
   * cannot be opened
   */
  constructor(options: TlsClientOptions = {}) {
    this.ossl = openSsl();
    const { ssl } = this.ossl;
    this.#resume = options.resume ?? true;
    const ctx = ssl.SSL_CTX_new(ssl.TLS_client_method());
    if (ctx === null) {
      const why = this.ossl.lastError();
      this.ossl.close();
      throw new Error(`Cannot create a TLS context: ${why}`);
    }
    this.#ctx = ctx;
    this.counters.contexts++;
    try {
      this.#configure(options);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #configure(options: TlsClientOptions): void {
    const { ssl } = this.ossl;
    const ctx = this.#ctx;
    // the session to resume is kept by this class, not in OpenSSL's client cache
    baseContext(this.ossl, ctx);
    const alpn = wireList(options.alpn ?? ["http/1.1"]);
    // SSL_CTX_set_alpn_protos copies the list; unlike most of OpenSSL it returns 0 on success
    if (ssl.SSL_CTX_set_alpn_protos(ctx, alpn, alpn.length) !== 0) {
      throw new Error(`Cannot set ALPN: ${this.ossl.lastError()}`);
    }
    if (options.insecure) {
      ssl.SSL_CTX_set_verify(ctx, S.SSL_VERIFY_NONE, null);
      return;
    }
    ssl.SSL_CTX_set_verify(ctx, S.SSL_VERIFY_PEER, null);
    ssl.SSL_CTX_set_default_verify_paths(ctx);
    this.ossl.crypto.ERR_clear_error(); // a system without a store is not an error here
    (options.caCerts ?? []).forEach((pem, i) => this.#trust(pem, i));
  }

  /** Adds the certificates in `pem` to the context's trust store. */
  #trust(pem: string, i: number): void {
    const { ssl, crypto } = this.ossl;
    const bytes = new TextEncoder().encode(pem);
    const bio = crypto.BIO_new_mem_buf(bytes, bytes.length);
    if (bio === null) throw new TlsConfigError(`Cannot read CA certificate ${i + 1}`);
    let added = 0;
    try {
      const store = ssl.SSL_CTX_get_cert_store(this.#ctx);
      for (;;) {
        const cert = crypto.PEM_read_bio_X509(bio, null, null, null);
        if (cert === null) break;
        const ok = crypto.X509_STORE_add_cert(store, cert);
        crypto.X509_free(cert); // the store takes its own reference
        if (ok !== 1) break;
        added++;
      }
    } finally {
      crypto.BIO_free(bio);
    }
    crypto.ERR_clear_error();
    if (added === 0) {
      throw new TlsConfigError(`CA certificate ${i + 1} is not a PEM certificate`);
    }
  }

  /**
   * Starts the client side of a handshake with `servername` (sent as SNI unless it is an IP
   * address, and checked against the certificate) on the connected nonblocking socket `fd`,
   * resuming the last session when there is one.
   *
   * @returns the stream, or null when OpenSSL could not make one (the fd stays the caller's)
   */
  connect(fd: number, servername: string): TlsStream | null {
    if (this.#closed) return null;
    const { ssl: sym, crypto } = this.ossl;
    const ssl = sym.SSL_new(this.#ctx);
    if (ssl === null) {
      crypto.ERR_clear_error();
      return null;
    }
    this.counters.made++;
    this.counters.connections++;
    const stream = new TlsStream(this.ossl, this.counters, ssl, false);
    const { name, ip } = this.#name(servername);
    const ok = sym.SSL_set_fd(ssl, fd) === 1 &&
      // SSL_set1_host takes an IP address as one (OpenSSL 3) and copies the name
      sym.SSL_set1_host(ssl, name) === 1 &&
      (ip || sym.SSL_ctrl(ssl, S.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0n, Deno.UnsafePointer.of(name)) ===
          1n);
    if (!ok) {
      stream.free();
      crypto.ERR_clear_error();
      return null;
    }
    if (this.#resume && this.#session !== null) sym.SSL_set_session(ssl, this.#session);
    sym.SSL_set_connect_state(ssl);
    return stream;
  }

  /** `servername` as C text, and whether it is an IP address (kept: a run has one). */
  #name(servername: string): { name: Uint8Array<ArrayBuffer>; ip: boolean } {
    let last = this.#lastName;
    if (last === null || last.text !== servername) {
      last = { text: servername, name: toCString(servername), ip: /^[\d.]+$|:/.test(servername) };
      this.#lastName = last;
    }
    return last;
  }

  /**
   * Keeps the session of `stream` (call before freeing it, after a response was read, so a TLS
   * 1.3 ticket has arrived) for the next connections to resume.
   */
  keepSession(stream: TlsStream): void {
    if (!this.#resume || this.#closed || stream.ssl === null || !stream.established) return;
    const sym = this.ossl.ssl;
    const session = sym.SSL_get1_session(stream.ssl);
    if (session === null) return;
    if (sym.SSL_SESSION_is_resumable(session) !== 1) {
      sym.SSL_SESSION_free(session);
      return;
    }
    if (this.#session !== null) {
      sym.SSL_SESSION_free(this.#session);
      this.counters.sessions--;
    }
    this.#session = session;
    this.counters.sessions++;
  }

  /** Why verification failed on `stream`, when it did ("" otherwise). */
  verifyError(stream: TlsStream): string {
    if (stream.ssl === null) return "";
    const code = this.ossl.ssl.SSL_get_verify_result(stream.ssl);
    if (code === 0n) return "";
    const text = this.ossl.crypto.X509_verify_cert_error_string(code);
    return text === null ? `verify error ${code}` : Deno.UnsafePointerView.getCString(text);
  }

  /** Frees the kept session and the context and unloads OpenSSL. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const sym = this.ossl.ssl;
    if (this.#session !== null) {
      sym.SSL_SESSION_free(this.#session);
      this.#session = null;
      this.counters.sessions--;
    }
    sym.SSL_CTX_free(this.#ctx);
    this.counters.contexts--;
    // a stream still open keeps the library loaded (OpenSSL counts its own references to the
    // context), so freeing it later cannot call into unloaded code
    if (this.counters.connections === 0) this.ossl.close();
  }
}

/** ALPN's wire form: each protocol prefixed with its length. */
function wireList(protocols: string[]): Uint8Array<ArrayBuffer> {
  const parts = protocols.map((p) => new TextEncoder().encode(p));
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out[at++] = p.length;
    out.set(p, at);
    at += p.length;
  }
  return out;
}
