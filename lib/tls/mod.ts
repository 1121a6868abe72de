/**
 * TLS on netlab's event loop: OpenSSL 3 (`libssl.so.3`, `libcrypto.so.3`) through `Deno.dlopen`,
 * nonblocking, driven from the loop's readiness callbacks the way nginx drives it.
 *
 * - {@linkcode TlsServerContext}: certificates (RSA or ECDSA, PEM chain and key), SNI among
 *   several, TLS 1.2 and 1.3, ALPN, session tickets under a key rotated in memory.
 * - {@linkcode TlsStream}: one connection over `SSL_set_fd` on its nonblocking socket:
 *   `handshake()`, `read()`, `write()` return counts or {@linkcode TLS_AGAIN} /
 *   {@linkcode TLS_FAILED}, never throw; `free()` once when the socket closes.
 * - {@linkcode TlsClientContext}: one run's client TLS (system store plus given CAs, or
 *   nothing checked; SNI and the host checked; ALPN; the last session resumed by every new
 *   connection), and {@linkcode AsyncTlsSocket}, its promise interface on the loop.
 * - {@linkcode TlsCounters}: what was made and freed, for tests and stats.
 * - {@linkcode tlsUnavailable}: why TLS cannot run here (no OpenSSL 3, not Linux, no FFI).
 *
 * @example Serve one TLS connection's bytes back to it
 * ```ts ignore
 * import { TLS_AGAIN, TlsServerContext } from "./lib/tls/mod.ts";
 *
 * const tls = new TlsServerContext({ identities: [{ cert: certPem, key: keyPem }] });
 * const stream = tls.accept(fd)!; // fd: a connected nonblocking socket on the loop
 * // on every readiness event:
 * if (stream.handshake() === 1) {
 *   const buf = new Uint8Array(16384);
 *   let n;
 *   while ((n = stream.read(buf, buf.length)) > 0) stream.write(buf, n);
 *   if (n !== TLS_AGAIN) stream.free(); // then close the fd
 * }
 * ```
 *
 * @module
 */
export { type TlsIdentity, TlsServerContext, type TlsServerOptions } from "./server.ts";
export { TlsConfigError } from "./_pem.ts";
export { TLS_AGAIN, TLS_FAILED, TlsStream } from "./stream.ts";
export { newCounters, type TlsCounters } from "./counters.ts";
export { TlsClientContext, type TlsClientOptions } from "./client.ts";
export { AsyncTlsSocket } from "./async_socket.ts";
export { tlsUnavailable } from "./_ssl.ts";
