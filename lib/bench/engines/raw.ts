/**
 * The raw engine: HTTP/1.1 written straight to sockets: lib/loop's (OpenSSL through lib/tls for
 * https) where they run, `Deno.connect` (`Deno.startTls`) elsewhere.
 * The request bytes are built once, each client reuses one read buffer and one parser, and the wire
 * is counted byte for byte, with ab's timestamps (connect, write done, first byte, done).
 *
 * @module
 */
import type { Engine, EngineClient, EngineTraits, RequestSpec } from "../engine.ts";
import { ConnectGate, CONNECTS_AT_ONCE, type Dialer, makeDialer, unixDialer } from "./_dial.ts";
import { ConnClient } from "./_conn_client.ts";
import { LoopClient } from "./_loop_client.ts";
import { buildRequestBytes, TableBytes } from "./_request_bytes.ts";

export { buildRequestBytes };

/** Creates the raw engine for `spec`. */
export function rawEngine(spec: RequestSpec): Engine {
  const bytes = buildRequestBytes(spec);
  const head = spec.method.toUpperCase() === "HEAD";
  const tls = spec.url.protocol === "https:";
  const hostname = spec.url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(spec.url.port) || (tls ? 443 : 80);
  const dialer: Dialer = spec.unixSocket
    ? unixDialer(spec.unixSocket)
    : makeDialer(hostname, port, tls, spec.sockets ?? "auto", spec.caCerts, spec.insecure ?? false);
  const table = spec.table ? new TableBytes(spec, spec.table) : null;
  const traits: EngineTraits = {
    exactWireBytes: true,
    connectTimes: true,
    fairTurns: dialer.name === "epoll",
  };
  const gate = new ConnectGate(CONNECTS_AT_ONCE);
  return {
    name: "raw",
    traits,
    requestBytes: bytes.byteLength,
    client: (): EngineClient =>
      dialer.name === "epoll"
        ? new LoopClient(dialer.target, bytes, head, gate, table)
        : new ConnClient(dialer, bytes, head, gate, table),
    close: () => dialer.close(),
  };
}
