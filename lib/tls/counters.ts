/**
 * What a TLS context has made and freed, for tests and stats: every OpenSSL object netlab makes
 * per connection is counted when made and when freed, so a leak or a double free shows as a
 * live count that does not come back to where it started.
 *
 * @module
 */

/** Counts of one TLS context (server or client). */
export interface TlsCounters {
  /** `SSL_CTX`s alive now (one per certificate on a server, one on a client). */
  contexts: number;
  /** `SSL` objects (connections) alive now. */
  connections: number;
  /** `SSL` objects made so far. */
  made: number;
  /** `SSL` objects freed so far (equals `made` once every connection is gone). */
  freed: number;
  /** Saved client sessions (`SSL_SESSION`) alive now. */
  sessions: number;
  /** Handshakes completed. */
  handshakes: number;
  /** Of those, resumed from a ticket (or a saved session on a client). */
  resumed: number;
  /** Handshakes that failed (bad input, a wrong certificate, a peer that went away). */
  failed: number;
  /** Native callbacks alive now (SNI and ALPN selection). */
  callbacks: number;
}

/** Fresh counters, all zero. */
export function newCounters(): TlsCounters {
  return {
    contexts: 0,
    connections: 0,
    made: 0,
    freed: 0,
    sessions: 0,
    handshakes: 0,
    resumed: 0,
    failed: 0,
    callbacks: 0,
  };
}
