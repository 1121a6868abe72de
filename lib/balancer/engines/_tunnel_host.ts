/**
 * The contract of an epoll tunnel (`_tunnel.ts`): what its engine gives it and is told
 * (`TunnelHost`), and the adapter that hands its backend socket's events to it (`Upstream`), so
 * that one tunnel object serves two descriptors without a closure per connection.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import type { EventLoop, SockAddr, SocketHandler } from "../../loop/mod.ts";
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
}

/** A tunnel's side of its backend socket's events. */
export interface BackendEvents {
  backendReadable(rdhup: boolean): void;
  backendWritable(): void;
  backendHangup(): void;
}

/** The backend's socket: hands its events to the tunnel. */
export class Upstream implements SocketHandler {
  readonly tunnel: BackendEvents;
  constructor(tunnel: BackendEvents) {
    this.tunnel = tunnel;
  }
  onReadable(rdhup: boolean): void {
    this.tunnel.backendReadable(rdhup);
  }
  onWritable(): void {
    this.tunnel.backendWritable();
  }
  onHangup(): void {
    this.tunnel.backendHangup();
  }
}
