/**
 * The OpenSSL 3 calls netlab's TLS makes, opened with `Deno.dlopen` from the system's
 * `libssl.so.3` and `libcrypto.so.3`. Every call is a plain synchronous FFI call on the loop's
 * thread; OpenSSL's macros (`SSL_CTX_set_mode`, `SSL_set_tlsext_host_name`, ...) are spelled as
 * the `*_ctrl` calls they expand to. A JavaScript buffer is only ever handed to OpenSSL for the
 * length of one call that does not keep it (`SSL_read`, `SSL_write` with
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, a memory BIO read and freed in the same turn), so the
 * garbage collector can never move or free memory OpenSSL still points at.
 *
 * @module
 */

const SSL_SYMBOLS = {
  TLS_server_method: { parameters: [], result: "pointer" },
  TLS_client_method: { parameters: [], result: "pointer" },
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },
  SSL_CTX_new: { parameters: ["pointer"], result: "pointer" },
  SSL_CTX_free: { parameters: ["pointer"], result: "void" },
  SSL_CTX_ctrl: { parameters: ["pointer", "i32", "i64", "pointer"], result: "i64" },
  SSL_CTX_callback_ctrl: { parameters: ["pointer", "i32", "function"], result: "i64" },
  SSL_CTX_set_options: { parameters: ["pointer", "u64"], result: "u64" },
  SSL_CTX_set_timeout: { parameters: ["pointer", "i64"], result: "i64" },
  SSL_CTX_use_certificate: { parameters: ["pointer", "pointer"], result: "i32" },
  SSL_CTX_use_PrivateKey: { parameters: ["pointer", "pointer"], result: "i32" },
  SSL_CTX_check_private_key: { parameters: ["pointer"], result: "i32" },
  SSL_CTX_get0_certificate: { parameters: ["pointer"], result: "pointer" },
  SSL_CTX_set_alpn_select_cb: { parameters: ["pointer", "function", "pointer"], result: "void" },
  SSL_CTX_set_verify: { parameters: ["pointer", "i32", "pointer"], result: "void" },
  SSL_CTX_set_default_verify_paths: { parameters: ["pointer"], result: "i32" },
  SSL_CTX_load_verify_locations: { parameters: ["pointer", "buffer", "pointer"], result: "i32" },
  SSL_CTX_get_cert_store: { parameters: ["pointer"], result: "pointer" },
  SSL_CTX_set_alpn_protos: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  SSL_new: { parameters: ["pointer"], result: "pointer" },
  SSL_free: { parameters: ["pointer"], result: "void" },
  SSL_set_fd: { parameters: ["pointer", "i32"], result: "i32" },
  SSL_set_accept_state: { parameters: ["pointer"], result: "void" },
  SSL_set_connect_state: { parameters: ["pointer"], result: "void" },
  SSL_do_handshake: { parameters: ["pointer"], result: "i32" },
  SSL_read: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  SSL_write: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  SSL_get_error: { parameters: ["pointer", "i32"], result: "i32" },
  SSL_shutdown: { parameters: ["pointer"], result: "i32" },
  SSL_set_quiet_shutdown: { parameters: ["pointer", "i32"], result: "void" },
  SSL_ctrl: { parameters: ["pointer", "i32", "i64", "pointer"], result: "i64" },
  SSL_get_servername: { parameters: ["pointer", "i32"], result: "pointer" },
  SSL_set_SSL_CTX: { parameters: ["pointer", "pointer"], result: "pointer" },
  SSL_session_reused: { parameters: ["pointer"], result: "i32" },
  SSL_has_pending: { parameters: ["pointer"], result: "i32" },
  SSL_get_version: { parameters: ["pointer"], result: "pointer" },
  SSL_get_current_cipher: { parameters: ["pointer"], result: "pointer" },
  SSL_CIPHER_get_name: { parameters: ["pointer"], result: "pointer" },
  SSL_get0_alpn_selected: { parameters: ["pointer", "buffer", "buffer"], result: "void" },
  SSL_set1_host: { parameters: ["pointer", "buffer"], result: "i32" },
  SSL_get_verify_result: { parameters: ["pointer"], result: "i64" },
  SSL_get1_session: { parameters: ["pointer"], result: "pointer" },
  SSL_set_session: { parameters: ["pointer", "pointer"], result: "i32" },
  SSL_SESSION_free: { parameters: ["pointer"], result: "void" },
  SSL_SESSION_is_resumable: { parameters: ["pointer"], result: "i32" },
  SSL_get_wbio: { parameters: ["pointer"], result: "pointer" },
  BIO_ctrl: { parameters: ["pointer", "i32", "i64", "pointer"], result: "i64" },
} as const satisfies Deno.ForeignLibraryInterface;

const CRYPTO_SYMBOLS = {
  BIO_new_mem_buf: { parameters: ["buffer", "i32"], result: "pointer" },
  BIO_free: { parameters: ["pointer"], result: "i32" },
  PEM_read_bio_X509_AUX: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  PEM_read_bio_X509: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  PEM_read_bio_PrivateKey: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  X509_free: { parameters: ["pointer"], result: "void" },
  X509_STORE_add_cert: { parameters: ["pointer", "pointer"], result: "i32" },
  X509_check_host: {
    parameters: ["pointer", "buffer", "usize", "u32", "pointer"],
    result: "i32",
  },
  X509_verify_cert_error_string: { parameters: ["i64"], result: "pointer" },
  EVP_PKEY_free: { parameters: ["pointer"], result: "void" },
  ERR_get_error: { parameters: [], result: "u64" },
  ERR_peek_last_error: { parameters: [], result: "u64" },
  ERR_error_string_n: { parameters: ["u64", "buffer", "usize"], result: "void" },
  ERR_reason_error_string: { parameters: ["u64"], result: "pointer" },
  ERR_clear_error: { parameters: [], result: "void" },
  RAND_bytes: { parameters: ["buffer", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libssl's calls. */
export type SslSymbols = Deno.DynamicLibrary<typeof SSL_SYMBOLS>["symbols"];
/** libcrypto's calls. */
export type CryptoSymbols = Deno.DynamicLibrary<typeof CRYPTO_SYMBOLS>["symbols"];

/** OpenSSL's constants (`ssl.h`, `tls1.h`, `x509_vfy.h` of OpenSSL 3). */
export const S = {
  SSL_ERROR_NONE: 0,
  SSL_ERROR_SSL: 1,
  SSL_ERROR_WANT_READ: 2,
  SSL_ERROR_WANT_WRITE: 3,
  SSL_ERROR_SYSCALL: 5,
  SSL_ERROR_ZERO_RETURN: 6,
  SSL_CTRL_EXTRA_CHAIN_CERT: 14,
  SSL_CTRL_MODE: 33,
  SSL_CTRL_SET_READ_AHEAD: 41,
  SSL_CTRL_SET_SESS_CACHE_MODE: 44,
  SSL_CTRL_SET_TLSEXT_SERVERNAME_CB: 53,
  SSL_CTRL_SET_TLSEXT_HOSTNAME: 55,
  SSL_CTRL_SET_TLSEXT_TICKET_KEYS: 59,
  SSL_CTRL_SET_MIN_PROTO_VERSION: 123,
  BIO_CTRL_GET_KTLS_SEND: 73,
  SSL_MODE_ENABLE_PARTIAL_WRITE: 0x1,
  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: 0x2,
  SSL_MODE_RELEASE_BUFFERS: 0x10,
  SSL_SESS_CACHE_OFF: 0,
  SSL_SESS_CACHE_CLIENT: 1,
  SSL_SESS_CACHE_NO_INTERNAL_STORE: 0x200,
  SSL_OP_ENABLE_KTLS: 1n << 3n,
  SSL_OP_NO_COMPRESSION: 1n << 17n,
  SSL_OP_CIPHER_SERVER_PREFERENCE: 1n << 22n,
  SSL_OP_NO_RENEGOTIATION: 1n << 30n,
  SSL_VERIFY_NONE: 0,
  SSL_VERIFY_PEER: 1,
  TLS1_2_VERSION: 0x0303,
  TLSEXT_NAMETYPE_host_name: 0,
  SSL_TLSEXT_ERR_OK: 0,
  SSL_TLSEXT_ERR_NOACK: 3,
  X509_V_OK: 0,
} as const;

/** Both libraries, opened. */
export interface OpenSsl {
  readonly ssl: SslSymbols;
  readonly crypto: CryptoSymbols;
  /** e.g. `OpenSSL 3.0.19` (the library's own name and version, without its date). */
  readonly version: string;
  /** The reason of the oldest error on this thread's OpenSSL error queue; empties the queue. */
  lastError(): string;
  /** Unloads both libraries. */
  close(): void;
}

/** The libraries' names (a test names a missing one to see the fallback). */
export interface SslNames {
  libssl: string;
  libcrypto: string;
}

const NAMES: SslNames = { libssl: "libssl.so.3", libcrypto: "libcrypto.so.3" };

/**
 * Opens libssl and libcrypto (OpenSSL 3).
 *
 * @throws `Deno.errors.NotCapable` without `--allow-ffi`; another error when OpenSSL 3 is missing
 */
export function openSsl(names: SslNames = NAMES): OpenSsl {
  const { libssl: LIBSSL, libcrypto: LIBCRYPTO } = names;
  if (Deno.build.os !== "linux") throw new Error(`TLS on the loop runs on Linux only`);
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new Deno.errors.NotCapable("Requires ffi access");
  }
  let crypto: Deno.DynamicLibrary<typeof CRYPTO_SYMBOLS>;
  let ssl: Deno.DynamicLibrary<typeof SSL_SYMBOLS>;
  try {
    crypto = Deno.dlopen(LIBCRYPTO, CRYPTO_SYMBOLS);
  } catch (err) {
    throw new Error(`${LIBCRYPTO} (OpenSSL 3) is not installed`, { cause: err });
  }
  try {
    ssl = Deno.dlopen(LIBSSL, SSL_SYMBOLS);
  } catch (err) {
    crypto.close();
    throw new Error(`${LIBSSL} (OpenSSL 3) is not installed`, { cause: err });
  }
  const text = cString(ssl.symbols.OpenSSL_version(0));
  const version = /^OpenSSL \S+/.exec(text)?.[0] ?? text;
  const c = crypto.symbols;
  return {
    ssl: ssl.symbols,
    crypto: c,
    version,
    lastError() {
      const code = c.ERR_get_error();
      c.ERR_clear_error();
      if (code === 0n) return "unknown error";
      return cString(c.ERR_reason_error_string(code)) || `error ${code.toString(16)}`;
    },
    close() {
      ssl.close();
      crypto.close();
    },
  };
}

/** The NUL-terminated string at `ptr` ("" for null). */
export function cString(ptr: Deno.PointerValue): string {
  return ptr === null ? "" : Deno.UnsafePointerView.getCString(ptr);
}

/** `text` as a NUL-terminated C string. */
export function toCString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * What every netlab `SSL_CTX` shares: TLS 1.2 at least; partial writes that may be retried from
 * another buffer (so OpenSSL never keeps a pointer into JavaScript memory); read-ahead, so one
 * recv takes what has arrived (several records), not a header then a body; no session cache in
 * OpenSSL (a server's tickets are stateless, a client keeps its session itself).
 */
export function baseContext(ossl: OpenSsl, ctx: NonNullable<Deno.PointerValue>): void {
  const { ssl } = ossl;
  ssl.SSL_CTX_ctrl(ctx, S.SSL_CTRL_SET_MIN_PROTO_VERSION, BigInt(S.TLS1_2_VERSION), null);
  ssl.SSL_CTX_ctrl(
    ctx,
    S.SSL_CTRL_MODE,
    BigInt(S.SSL_MODE_ENABLE_PARTIAL_WRITE | S.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER),
    null,
  );
  ssl.SSL_CTX_ctrl(ctx, S.SSL_CTRL_SET_READ_AHEAD, 1n, null);
  ssl.SSL_CTX_ctrl(ctx, S.SSL_CTRL_SET_SESS_CACHE_MODE, BigInt(S.SSL_SESS_CACHE_OFF), null);
}

/** Why TLS on the loop cannot run here, or undefined when it can (opens and closes OpenSSL). */
export function tlsUnavailable(names: SslNames = NAMES): string | undefined {
  try {
    openSsl(names).close();
    return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return "TLS on the loop needs --allow-ffi";
    return err instanceof Error ? err.message : String(err);
  }
}
