/**
 * A tunnel's backend side: the backends tried so far, and the connection to the current one,
 * one object owning its socket's handle, its wire (the socket, or a TLS client on it with
 * `--backend-tls`) and its close. Its events go to the tunnel, through the TLS first when the
 * backends speak it (which runs the handshake and passes on what a plain socket would say).
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { FdWire, Handle, LINUX as C, type SocketHandler, type Wire } from "../../loop/mod.ts";
import { TlsWire } from "../../tls/wire.ts";
import { Attempts } from "./_choice.ts";
import type { TunnelHost } from "./_tunnel_host.ts";

/** What the backend's events are for (a tunnel). */
export interface UpstreamOwner {
  backendReadable(rdhup: boolean): void;
  backendWritable(): void;
  backendHangup(): void;
}

/** The backend connection of one tunnel (one at a time, as connects fail over). */
export class Upstream implements SocketHandler {
  readonly owner: UpstreamOwner;
  /** The backends tried; its `backend` is the one connecting or connected. */
  readonly attempts: Attempts = new Attempts();
  /** The socket to the current backend, while one is open. */
  handle: Handle | undefined;
  /** Its bytes: the socket, or the TLS on it. */
  wire: Wire | undefined;
  /** The connection's TLS (`--backend-tls`): it sees the socket's events first. */
  tls: TlsWire | null = null;

  constructor(owner: UpstreamOwner) {
    this.owner = owner;
  }

  /** Starts a connect to `backend` (counted open on it): 0, or the errno (nothing opened). */
  connect(host: TunnelHost, backend: Backend): number {
    const h = Handle.connect(host.loop, host.addrOf(backend), this);
    if (typeof h === "number") return -h;
    backend.active++;
    this.handle = h;
    host.loop.setOption(h.fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    this.tls = null;
    const ctx = host.backendTls;
    if (ctx === null) {
      this.wire = new FdWire(host.loop, h);
      return 0;
    }
    const stream = ctx.connect(h.fd, backend.host);
    // OpenSSL could not make an SSL (memory): the handshake fails at once, as a backend error
    if (stream === null) this.wire = new FdWire(host.loop, { fd: -1 });
    else this.wire = this.tls = new TlsWire(host.loop, h, stream, new UpstreamTls(this.owner));
    return 0;
  }

  /** Why the TLS handshake failed, when it has (`--backend-tls`). */
  tlsFailure(): string | undefined {
    const tls = this.tls;
    if (tls === null || tls.stream.established || tls.error === "") return undefined;
    return `TLS handshake failed: ${tls.error}`;
  }

  /** Closes the connection (its TLS session kept to resume): one fewer open on its backend. */
  close(host: TunnelHost): void {
    const wire = this.wire;
    if (wire instanceof TlsWire) host.backendTls?.keepSession(wire.stream);
    wire?.release();
    this.wire = undefined;
    this.handle?.close();
    this.handle = undefined;
    this.attempts.backend!.active--;
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
