/**
 * The contract of an epoll tunnel (`_tunnel.ts`): what its engine gives it and is told
 * (`TunnelHost`). The adapter that hands its backend socket's events to it is `_upstream.ts`'s.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import type { EventLoop, SockAddr } from "../../loop/mod.ts";
import type { TlsClientContext } from "../../tls/client.ts";
import type { SessionContext } from "./frontend.ts";

/** What every tunnel of one engine shares. */
export interface TunnelHost {
  readonly loop: EventLoop;
  readonly ctx: SessionContext;
  /** The one read buffer of the engine. */
  readonly buf: Uint8Array;
  /** Whether info lines (per connection) are printed. */
  readonly logging: boolean;
  /** The socket address of a backend, encoded once. */
  addrOf(backend: Backend): SockAddr;
  /** Called once when `tunnel` has closed both sockets. */
  ended(tunnel: object): void;
  /** Our own shortage (descriptors, ports, memory) at a connect: logged at most once a second. */
  outOfDescriptors(errno: number): void;
  /** `--backend-tls`: the client TLS every backend connection speaks (null: plain). */
  readonly backendTls: TlsClientContext | null;
}
