/**
 * The balancer's TLS contexts: the server side that terminates clients' TLS (`--cert`/`--key`)
 * and the client side that speaks TLS to backends (`--backend-tls`), both OpenSSL 3 on the
 * loop (`lib/tls/`). Made before listening, so a certificate that cannot be used fails first;
 * closed once every connection is.
 *
 * @module
 */
import { TlsServerContext, type TlsServerOptions } from "../tls/server.ts";
import { TlsClientContext, type TlsClientOptions } from "../tls/client.ts";

/** A balancer's TLS, either side or none. */
export interface BalancerTls {
  readonly tls: TlsServerContext | null;
  readonly backendTls: TlsClientContext | null;
  /** `, TLS terminated with OpenSSL 3.0.19` (or to backends) for the listening line, or "". */
  readonly label: string;
  close(): void;
}

/**
 * Opens the contexts the options ask for.
 *
 * @throws {TlsConfigError} naming the certificate that cannot be used and why, or what OpenSSL
 *   throws when it cannot be opened
 */
export function openBalancerTls(
  server: TlsServerOptions | undefined,
  backend: TlsClientOptions | undefined,
): BalancerTls {
  const tls = server !== undefined ? new TlsServerContext(server) : null;
  let backendTls: TlsClientContext | null = null;
  try {
    if (backend !== undefined) backendTls = new TlsClientContext(backend);
  } catch (err) {
    tls?.close();
    throw err;
  }
  const library = (tls ?? backendTls)?.ossl.version ?? "";
  const sides = tls && backendTls
    ? "TLS terminated and to backends"
    : tls
    ? "TLS terminated"
    : "TLS to backends";
  return {
    tls,
    backendTls,
    label: library === "" ? "" : `, ${sides} with ${library}`,
    close() {
      tls?.close();
      backendTls?.close();
    },
  };
}
