/**
 * The raw engine's https connections on the event loop: TCP through lib/loop, TLS through
 * OpenSSL (lib/tls), as wrk does it. One client context per run: certificates checked against the
 * system's store plus `--cacert` (or not at all with `--insecure`), the host name checked and sent
 * as SNI, ALPN `http/1.1`, and each new connection resuming the run's last session. A host name
 * is looked up once (the system's resolver, /etc/hosts included); the first of its addresses that
 * accepts a connection is the one every later connection uses, as the Deno dialer does.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { encodeSockAddr, type EventLoop, isIpLiteral, type SockAddr } from "../../loop/mod.ts";
import { TlsClientContext } from "../../tls/client.ts";
import type { LoopDialer } from "./_dial.ts";
import type { LoopTarget } from "./_loop_conn.ts";

/** What the https dialer needs besides the address. */
export interface TlsDialOptions {
  caCerts: string[];
  insecure: boolean;
}

/**
 * TLS connections on `loop` to `hostname` (an IP address or a name, looked up once by the first
 * client that needs it).
 *
 * @throws when OpenSSL 3 cannot be opened or a CA certificate cannot be used (the caller then
 *   uses Deno's TLS)
 */
export function epollTlsDialer(
  loop: EventLoop,
  hostname: string,
  port: number,
  options: TlsDialOptions,
): LoopDialer {
  const ctx = new TlsClientContext({ caCerts: options.caCerts, insecure: options.insecure });
  let candidates: Promise<SockAddr[]> | null = null;
  const target: LoopTarget = {
    loop,
    tls: ctx,
    servername: hostname,
    addr: isIpLiteral(hostname) ? encodeSockAddr(hostname, port) : null,
    candidates: () => candidates ??= addresses(hostname, port),
  };
  return {
    name: "epoll",
    target,
    close() {
      ctx.close();
      loop.stop().catch(() => {}); // every socket is closed by now; nothing to wait for
    },
  };
}

/** The addresses of `hostname`, in the resolver's order. */
async function addresses(hostname: string, port: number): Promise<SockAddr[]> {
  try {
    const found = await lookup(hostname, { all: true });
    if (found.length > 0) return found.map((a) => encodeSockAddr(a.address, port));
  } catch (err) {
    throw new Deno.errors.NotFound(`Cannot resolve ${hostname}: ${shortCode(err)}`, {
      cause: err,
    });
  }
  throw new Deno.errors.NotFound(`Cannot resolve ${hostname}: no address`);
}

function shortCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
