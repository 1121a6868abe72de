/**
 * A tunnel's backend socket as the loop sees it: its events go to the tunnel, through the
 * connection's TLS first when the backends speak it (`--backend-tls`), which runs the handshake
 * and passes on what a plain socket would say.
 *
 * @module
 */
import type { SocketHandler } from "../../loop/mod.ts";
import type { TlsWire } from "../../tls/wire.ts";

/** What the backend's events are for (a tunnel). */
export interface UpstreamOwner {
  backendReadable(rdhup: boolean): void;
  backendWritable(): void;
  backendHangup(): void;
}

/** The backend's socket: hands its events to the tunnel (through its TLS, with --backend-tls). */
export class Upstream implements SocketHandler {
  readonly owner: UpstreamOwner;
  /** The backend connection's TLS: it sees the socket's events first. */
  tls: TlsWire | null = null;
  constructor(owner: UpstreamOwner) {
    this.owner = owner;
  }
  onReadable(rdhup: boolean): void {
    if (this.tls !== null) this.tls.onReadable(rdhup);
    else this.owner.backendReadable(rdhup);
  }
  onWritable(): void {
    if (this.tls !== null) this.tls.onWritable();
    else this.owner.backendWritable();
  }
  onHangup(): void {
    this.owner.backendHangup();
  }
}

/** The backend's events as its TLS passes them on (the handshake done, wants crossed). */
export class UpstreamTls implements SocketHandler {
  readonly owner: UpstreamOwner;
  constructor(owner: UpstreamOwner) {
    this.owner = owner;
  }
  onReadable(rdhup: boolean): void {
    this.owner.backendReadable(rdhup);
  }
  onWritable(): void {
    this.owner.backendWritable();
  }
  onHangup(): void {
    this.owner.backendHangup();
  }
}
