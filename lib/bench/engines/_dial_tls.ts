/**
 * The raw engine's https connections on the event loop: TCP through lib/loop, TLS through
 * OpenSSL (lib/tls), as wrk does it. One client context per run: certificates checked against the
 * system's store plus `--cacert` (or not at all with `--insecure`), the host name checked, ALPN
 * `http/1.1`, and each new connection resuming the run's last session.
 *
 * @module
 */
import { encodeSockAddr, type EventLoop } from "../../loop/mod.ts";
import { AsyncTlsSocket } from "../../tls/async_socket.ts";
import { TlsClientContext } from "../../tls/client.ts";
import type { Dialer } from "./_dial.ts";

/** What the https dialer needs besides the address. */
export interface TlsDialOptions {
  caCerts: string[];
  insecure: boolean;
}

/**
 * AsyncTlsSocket on `loop` to an IP address; `dial` resolves once TCP is connected (the caller
 * times and runs the handshake).
 *
 * @throws when OpenSSL 3 cannot be opened or a CA certificate cannot be used (the caller then
 *   uses Deno's TLS)
 */
export function epollTlsDialer(
  loop: EventLoop,
  hostname: string,
  port: number,
  options: TlsDialOptions,
): Dialer {
  const addr = encodeSockAddr(hostname, port);
  const ctx = new TlsClientContext({ caCerts: options.caCerts, insecure: options.insecure });
  return {
    name: "epoll",
    dial: (signal) => AsyncTlsSocket.connect(loop, ctx, addr, hostname, signal),
    close() {
      ctx.close();
      loop.stop().catch(() => {}); // every socket is closed by now; nothing to wait for
    },
  };
}
