/**
 * The forwarding half of a tunnel (`_tunnel.ts`): its state, and the bytes moved both ways until
 * both directions have ended. Bytes are read into the engine's one shared buffer and sent on at
 * once; only what a socket cannot take right away is copied to a pending buffer of its own, and
 * the side feeding it is not read until it drains (the backpressure). No promise, closure or
 * string per operation; strings are made only when a log line will be printed.
 *
 * A base class rather than a helper object so that a connection stays one object: `Tunnel`
 * extends it with the connect phase, the deadlines and the socket events.
 *
 * @module
 */
import { describeConnectError } from "../_connect.ts";
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import { errnoError, type EventLoop, LINUX as C, peerAddr, type Timed } from "../../loop/mod.ts";
import { logEnded } from "./frontend.ts";
import type { EndReason } from "../proxy.ts";
import type { TunnelHost } from "./_tunnel.ts";

/** Connecting to one backend after another. */
export const CONNECTING = 0;
/** Forwarding both ways. */
export const OPEN = 1;
/** Both sockets closed. */
export const CLOSED = 2;

const EPIPE = 32;
const ECONNRESET = 104;

/** A client connection and, once connected, its backend connection: the forwarding. */
export abstract class Forwarding implements Timed {
  timerSlot = -1;
  protected readonly host: TunnelHost;
  protected readonly loop: EventLoop;
  protected readonly cfd: number;
  protected bfd = -1;
  protected state = CONNECTING;
  protected backend: Backend | undefined;
  /** The client as logs print it, made when first needed. */
  protected from: string | undefined;
  /** Bytes the backend (client) could not take yet, copied out of the shared buffer. */
  protected toBackend: Uint8Array | undefined;
  protected toClient: Uint8Array | undefined;
  /**
   * Whether a recv() may find bytes: false after a short read or EAGAIN until the next event
   * (edge-triggered), which saves a recv() that would only say EAGAIN.
   */
  protected clientReady = true;
  protected backendReady = true;
  /** The peer's FIN was seen in an event: read until recv() gives 0. */
  protected clientRdhup = false;
  protected backendRdhup = false;
  /** recv() gave 0: that direction has ended. */
  protected clientEof = false;
  protected backendEof = false;
  /** Our FIN was sent on to the other side. */
  protected upShut = false;
  protected downShut = false;
  protected firstFin: EndReason | undefined;
  protected up = 0;
  protected down = 0;
  protected started: number;
  protected lastActive: number;

  constructor(host: TunnelHost, fd: number, from: string | undefined) {
    this.host = host;
    this.loop = host.loop;
    this.cfd = fd;
    this.from = from;
    this.started = this.lastActive = host.loop.now;
  }

  /** Whether the tunnel has closed. */
  get closed(): boolean {
    return this.state === CLOSED;
  }

  abstract onDeadline(now: number): void;

  /** The connect in progress failed: drop its socket and try the next backend. */
  protected abstract retry(message: string): void;

  /** Sets the deadline of the quiet limit in force now (idle, or fin once half-closed). */
  protected abstract arm(): void;

  /** The client as logs print it (made when first needed). */
  protected client(): string {
    if (this.from === undefined) {
      const a = peerAddr(this.loop, this.cfd);
      this.from = a ? formatAddress(a.hostname, a.port) : "a client";
    }
    return this.from;
  }

  // forwarding

  /**
   * Client to backend, until the client is drained, the backend full, or the end. While the
   * backend is still connecting, what cannot be sent yet waits in the pending buffer.
   */
  protected pumpUp(): void {
    if (
      this.state === CLOSED || this.toBackend !== undefined || this.clientEof ||
      !this.clientReady
    ) return;
    const { loop, buf } = this.host;
    const cap = buf.length;
    const bytes = this.backend!.bytes;
    while (true) {
      const n = loop.recv(this.cfd, buf, cap);
      if (n > 0) {
        this.lastActive = loop.now;
        const w = loop.send(this.bfd, buf, n);
        if (w === n) {
          this.up += n;
          bytes.up += n;
          // a short read without the peer's FIN means the socket is drained
          if (n < cap && !this.clientRdhup) {
            this.clientReady = false;
            return;
          }
          continue;
        }
        const sent = w < 0 ? 0 : w;
        this.up += sent;
        bytes.up += sent;
        this.toBackend = buf.slice(sent, n);
        if (w >= 0 || w === -C.EAGAIN) return;
        // a connect that failed shows here first: the bytes wait for the next backend
        if (this.state === CONNECTING) {
          return this.retry(describeConnectError(errnoError(-w, "connect")));
        }
        return this.end("backend error", -w);
      }
      if (n === 0) {
        this.clientEof = true;
        if (this.state === OPEN) this.finUp(); // else once connected
        return;
      }
      if (n === -C.EAGAIN) {
        this.clientReady = false;
        return;
      }
      if (n === -C.EINTR) continue;
      if (this.state === OPEN) return this.clientError(-n);
      return this.close(true); // the client failed before its backend answered: nothing to log
    }
  }

  /** Backend to client, the same way. */
  protected pumpDown(): void {
    if (
      this.state !== OPEN || this.toClient !== undefined || this.backendEof ||
      !this.backendReady
    ) return;
    const { loop, buf } = this.host;
    const cap = buf.length;
    const bytes = this.backend!.bytes;
    while (true) {
      const n = loop.recv(this.bfd, buf, cap);
      if (n > 0) {
        this.lastActive = loop.now;
        const w = loop.send(this.cfd, buf, n);
        if (w === n) {
          this.down += n;
          bytes.down += n;
          if (n < cap && !this.backendRdhup) {
            this.backendReady = false;
            return;
          }
          continue;
        }
        if (w < 0 && w !== -C.EAGAIN) return this.clientError(-w);
        const sent = w < 0 ? 0 : w;
        this.down += sent;
        bytes.down += sent;
        this.toClient = buf.slice(sent, n);
        return;
      }
      if (n === 0) {
        this.backendEof = true;
        return this.finDown();
      }
      if (n === -C.EAGAIN) {
        this.backendReady = false;
        return;
      }
      if (n !== -C.EINTR) return this.end("backend error", -n);
    }
  }

  protected flushToBackend(): void {
    const pending = this.toBackend!;
    const w = this.loop.send(this.bfd, pending, pending.length);
    if (w === -C.EAGAIN) return;
    if (w < 0) return this.end("backend error", -w);
    this.lastActive = this.loop.now; // a slow but steady reader is not idle
    this.up += w;
    this.backend!.bytes.up += w;
    if (w < pending.length) {
      this.toBackend = pending.subarray(w);
      return;
    }
    this.toBackend = undefined;
    if (this.clientEof) this.finUp();
    else this.pumpUp();
  }

  protected flushToClient(): void {
    const pending = this.toClient!;
    const w = this.loop.send(this.cfd, pending, pending.length);
    if (w === -C.EAGAIN) return;
    if (w < 0) return this.clientError(-w);
    this.lastActive = this.loop.now;
    this.down += w;
    this.backend!.bytes.down += w;
    if (w < pending.length) {
      this.toClient = pending.subarray(w);
      return;
    }
    this.toClient = undefined;
    if (this.backendEof) this.finDown();
    else this.pumpDown();
  }

  /** The client's FIN, once everything before it reached the backend: pass it on. */
  protected finUp(): void {
    if (this.toBackend !== undefined || this.upShut) return;
    this.firstFin ??= "client closed";
    this.upShut = true;
    if (this.downShut) return this.end(this.firstFin, 0);
    // ENOTCONN: the backend is gone already, nothing more can flow either way
    if (this.loop.shutdownWrite(this.bfd) !== 0) return this.end(this.firstFin, 0);
    this.lastActive = this.loop.now;
    this.arm();
  }

  protected finDown(): void {
    if (this.toClient !== undefined || this.downShut) return;
    this.firstFin ??= "backend closed";
    this.downShut = true;
    if (this.upShut) return this.end(this.firstFin, 0);
    if (this.loop.shutdownWrite(this.cfd) !== 0) return this.end(this.firstFin, 0);
    this.lastActive = this.loop.now;
    this.arm();
  }

  /**
   * An error on the client's socket. After the client's own FIN it is how a client that has
   * read all it wanted goes away (a TLS client after the whole body): "client closed".
   */
  protected clientError(errno: number): void {
    if (this.clientEof && (errno === EPIPE || errno === ECONNRESET)) {
      return this.end("client closed", 0);
    }
    this.end("client error", errno);
  }

  /** Ends the conversation: closes both sockets and logs how it ended. */
  protected end(reason: EndReason, errno: number): void {
    if (this.state !== OPEN) return;
    const { ctx, logging, loop } = this.host;
    if (logging) {
      const error = errno === 0 ? undefined : errnoError(errno, "recv");
      logEnded(
        ctx.log,
        this.client(),
        this.backend!,
        reason,
        error,
        this.up,
        this.down,
        loop.now - this.started,
      );
    }
    this.close(true);
  }

  protected close(withBackend: boolean): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    const loop = this.loop;
    loop.clearDeadline(this);
    loop.close(this.cfd);
    if (this.bfd >= 0) loop.close(this.bfd);
    if (withBackend) this.backend!.active--;
    this.toBackend = this.toClient = undefined;
    this.host.ended(this);
  }
}
