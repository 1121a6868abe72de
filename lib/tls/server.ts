/**
 * A TLS server context: one `SSL_CTX` per certificate (RSA or ECDSA, chain and key from PEM),
 * the first the default and the others chosen by the name the client asks for (SNI), TLS 1.2
 * and 1.3, ALPN, stateless session tickets under a key kept in memory and replaced every
 * `ticketRotation` ms, no server-side session cache (nothing grows per client).
 *
 * @module
 */
import { baseContext, cString, type OpenSsl, openSsl, S, toCString } from "./_ssl.ts";
import { loadIdentity, TlsConfigError } from "./_pem.ts";
import { newCounters, type TlsCounters } from "./counters.ts";
import { TlsStream } from "./stream.ts";

/** A certificate chain and its key, PEM text. */
export interface TlsIdentity {
  cert: string;
  key: string;
}

/** Options of {@link TlsServerContext}. */
export interface TlsServerOptions {
  /** Certificates, the first the default; the others are picked by SNI name. */
  identities: TlsIdentity[];
  /** ALPN protocols offered, most preferred first. @default {["http/1.1"]} */
  alpn?: string[];
  /** How often the ticket key is replaced, in milliseconds. @default {3_600_000} */
  ticketRotationMs?: number;
  /**
   * Ask OpenSSL for kernel TLS. Asked for where the kernel offers it, each handshake costs two
   * failing setsockopt calls where it does not. @default whether `tls` is among the kernel's ULPs
   */
  ktls?: boolean;
}

/** SSL_OP_IGNORE_UNEXPECTED_EOF: a FIN without close_notify reads as the end, as HTTP expects. */
const SSL_OP_IGNORE_UNEXPECTED_EOF = 1n << 7n;
/** The ticket keys' size: a 16-byte name, a 32-byte HMAC key and a 32-byte AES key. */
const TICKET_KEYS = 80;

const ALPN_CB = {
  parameters: ["pointer", "pointer", "pointer", "pointer", "u32", "pointer"],
  result: "i32",
} as const;
const SNI_CB = { parameters: ["pointer", "pointer", "pointer"], result: "i32" } as const;

interface Site {
  ctx: NonNullable<Deno.PointerValue>;
  /** The leaf certificate (owned by ctx), for matching SNI names. */
  leaf: Deno.PointerValue;
}

/** A server's TLS: contexts, callbacks, counters. Call {@link close} once every stream is freed. */
export class TlsServerContext {
  readonly ossl: OpenSsl;
  readonly counters: TlsCounters = newCounters();
  #sites: Site[] = [];
  #callbacks: { close(): void }[] = [];
  #alpn: Uint8Array[];
  #rotationMs: number;
  #nextRotation = 0;
  #closed = false;
  /** Whether kernel TLS was asked for (the kernel offers it, or the options said so). */
  ktls = false;

  /**
   * Opens OpenSSL and loads every certificate.
   *
   * @throws {TlsConfigError} naming the certificate that cannot be used and why; other errors
   * when OpenSSL 3 cannot be opened
   */
  constructor(options: TlsServerOptions) {
    if (options.identities.length === 0) throw new TlsConfigError("no certificate given");
    this.ossl = openSsl();
    this.#alpn = (options.alpn ?? ["http/1.1"]).map((p) => new TextEncoder().encode(p));
    this.#rotationMs = options.ticketRotationMs ?? 3_600_000;
    try {
      this.ktls = options.ktls ?? kernelOffersKtls();
      options.identities.forEach((id, i) => this.#addSite(id, i, this.ktls));
      const first = this.#sites[0]!.ctx;
      const alpn = this.#keep(
        new Deno.UnsafeCallback(
          ALPN_CB,
          (_ssl, out, outLen, list, listLen) => this.#selectAlpn(out, outLen, list, listLen),
        ),
      );
      for (const site of this.#sites) {
        this.ossl.ssl.SSL_CTX_set_alpn_select_cb(site.ctx, alpn.pointer, null);
      }
      if (this.#sites.length > 1) {
        const sni = this.#keep(new Deno.UnsafeCallback(SNI_CB, (ssl) => this.#selectSite(ssl)));
        this.ossl.ssl.SSL_CTX_callback_ctrl(
          first,
          S.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
          sni.pointer,
        );
      }
      this.rotateTickets(0);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #addSite(id: TlsIdentity, i: number, ktls: boolean): void {
    const { ssl } = this.ossl;
    const ctx = ssl.SSL_CTX_new(ssl.TLS_server_method());
    if (ctx === null) throw new Error(`Cannot create a TLS context: ${this.ossl.lastError()}`);
    this.#sites.push({ ctx, leaf: null });
    this.counters.contexts++;
    baseContext(this.ossl, ctx);
    ssl.SSL_CTX_set_options(
      ctx,
      S.SSL_OP_NO_COMPRESSION | S.SSL_OP_CIPHER_SERVER_PREFERENCE | S.SSL_OP_NO_RENEGOTIATION |
        SSL_OP_IGNORE_UNEXPECTED_EOF | (ktls ? S.SSL_OP_ENABLE_KTLS : 0n),
    );
    // a ticket is good for as long as its key lives
    ssl.SSL_CTX_set_timeout(ctx, BigInt(Math.max(1, Math.ceil(this.#rotationMs / 1000))));
    try {
      loadIdentity(this.ossl, ctx, id.cert, id.key);
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      const which = i > 0 ? `certificate ${i + 1}: ` : "";
      throw new TlsConfigError(`${which}${err.message}`, { cause: err });
    }
    this.#sites[this.#sites.length - 1]!.leaf = ssl.SSL_CTX_get0_certificate(ctx);
  }

  #keep<C extends { close(): void }>(cb: C): C {
    this.#callbacks.push(cb);
    this.counters.callbacks++;
    return cb;
  }

  /** The ALPN callback: our first protocol the client also offers, pointed at in its list. */
  #selectAlpn(
    out: Deno.PointerValue,
    outLen: Deno.PointerValue,
    list: Deno.PointerValue,
    listLen: number,
  ): number {
    if (out === null || outLen === null || list === null) return S.SSL_TLSEXT_ERR_NOACK;
    const offered = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(list, listLen));
    for (const want of this.#alpn) {
      for (let at = 0; at < listLen;) {
        const len = offered[at]!;
        if (len === want.length && at + 1 + len <= listLen && sameBytes(offered, at + 1, want)) {
          const chosen = Deno.UnsafePointer.offset(list, at + 1);
          new BigUint64Array(Deno.UnsafePointerView.getArrayBuffer(out, 8))[0] = BigInt(
            Deno.UnsafePointer.value(chosen),
          );
          new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(outLen, 1))[0] = len;
          return S.SSL_TLSEXT_ERR_OK;
        }
        at += 1 + len;
      }
    }
    return S.SSL_TLSEXT_ERR_NOACK;
  }

  /** The SNI callback: switches to the first certificate valid for the name asked for. */
  #selectSite(ssl: Deno.PointerValue): number {
    const sym = this.ossl.ssl;
    const name = cString(sym.SSL_get_servername(ssl, S.TLSEXT_NAMETYPE_host_name));
    if (name === "" || name.length > 253) return S.SSL_TLSEXT_ERR_OK;
    const bytes = new TextEncoder().encode(name);
    for (let i = 1; i < this.#sites.length; i++) {
      const site = this.#sites[i]!;
      if (this.ossl.crypto.X509_check_host(site.leaf, bytes, BigInt(bytes.length), 0, null) === 1) {
        sym.SSL_set_SSL_CTX(ssl, site.ctx);
        break;
      }
    }
    return S.SSL_TLSEXT_ERR_OK;
  }

  /**
   * Replaces the session ticket key when `now` (ms, any monotonic clock) has passed the next
   * rotation; tickets made under the old key then make a full handshake. Cheap to call per
   * accept.
   */
  rotateTickets(now: number): void {
    if (now < this.#nextRotation || this.#closed) return;
    this.#nextRotation = now + this.#rotationMs;
    const keys = new Uint8Array(TICKET_KEYS);
    if (this.ossl.crypto.RAND_bytes(keys, TICKET_KEYS) !== 1) {
      throw new Error(`Cannot make a ticket key: ${this.ossl.lastError()}`);
    }
    // SSL_CTX_set_tlsext_ticket_keys copies the bytes within the call
    const ptr = Deno.UnsafePointer.of(keys);
    for (const site of this.#sites) {
      this.ossl.ssl.SSL_CTX_ctrl(
        site.ctx,
        S.SSL_CTRL_SET_TLSEXT_TICKET_KEYS,
        BigInt(TICKET_KEYS),
        ptr,
      );
    }
    keys.fill(0);
  }

  /**
   * Starts the server side of a handshake on the connected nonblocking socket `fd`.
   *
   * @returns the stream, or null when OpenSSL could not make one (the fd stays the caller's)
   */
  accept(fd: number): TlsStream | null {
    if (this.#closed) return null;
    const sym = this.ossl.ssl;
    const ssl = sym.SSL_new(this.#sites[0]!.ctx);
    if (ssl === null) {
      this.ossl.crypto.ERR_clear_error();
      return null;
    }
    this.counters.made++;
    this.counters.connections++;
    const stream = new TlsStream(this.ossl, this.counters, ssl, true);
    if (sym.SSL_set_fd(ssl, fd) !== 1) {
      stream.free();
      this.ossl.crypto.ERR_clear_error();
      return null;
    }
    sym.SSL_set_accept_state(ssl);
    return stream;
  }

  /** `OpenSSL 3.0.19`: the library, for the listening line. */
  get library(): string {
    return this.ossl.version;
  }

  /** Frees the contexts and callbacks and unloads OpenSSL. Call once every stream is freed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const site of this.#sites) {
      this.ossl.ssl.SSL_CTX_free(site.ctx);
      this.counters.contexts--;
    }
    this.#sites = [];
    for (const cb of this.#callbacks) {
      cb.close();
      this.counters.callbacks--;
    }
    this.#callbacks = [];
    // a stream still open keeps the library loaded (OpenSSL counts its own references to the
    // context), so freeing it later cannot call into unloaded code
    if (this.counters.connections === 0) this.ossl.close();
  }
}

/** Whether this kernel can do TLS in the kernel (the `tls` upper-layer protocol is available). */
export function kernelOffersKtls(): boolean {
  try {
    return /\btls\b/.test(Deno.readTextFileSync("/proc/sys/net/ipv4/tcp_available_ulp"));
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, at: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

export { TlsConfigError, toCString };
