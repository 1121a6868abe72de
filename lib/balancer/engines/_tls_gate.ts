/**
 * TLS termination on the epoll engines (`--cert`/`--key`): an accepted socket is held here
 * until its handshake is done, on the loop's deadlines (the request timeout, as nginx and
 * HAProxy time a handshake with their client timeouts). The handshake then goes with its
 * {@linkcode TlsWire} to the connection's owner (a tunnel, an HTTP stream), which reads and
 * writes plaintext through it. A socket whose handshake fails (garbage instead of a ClientHello,
 * a client that stops) is closed, and nothing else is.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { type EventLoop, Handle, type SocketHandler } from "../../loop/mod.ts";
import type { TlsServerContext } from "../../tls/server.ts";
import { TlsWire } from "../../tls/wire.ts";
import { formatAddress } from "../backend_spec.ts";

/** What a gate (PROXY header or TLS handshake) is to its frontend: something to close. */
export interface Gate {
  /** Closes the socket (a shutdown). */
  close(): void;
}

/** What a TLS gate hands its socket on to. */
export interface TlsGateHost {
  readonly loop: EventLoop;
  readonly log: Logger;
  /** Whether info lines (per connection) are printed. */
  readonly logging: boolean;
  /**
   * The handshake is done: the socket (no deadline; still registered, its events going to the
   * wire, so it costs no epoll_ctl), the wire to read and write it through (its owner to be set
   * with `attach`), and the client.
   */
  admit(
    fd: number,
    client: Deno.NetAddr | undefined,
    local: Deno.NetAddr | undefined,
    wire: TlsWire,
  ): void;
  /** The gate is done (admitted or closed). */
  gateDone(gate: Gate): void;
}

/** One accepted socket in its TLS handshake. */
export class TlsGate implements SocketHandler, Gate {
  readonly #host: TlsGateHost;
  readonly #handle: Handle;
  readonly #wire: TlsWire | null;
  readonly #client: Deno.NetAddr | undefined;
  readonly #local: Deno.NetAddr | undefined;
  /** The socket went on to its owner: no longer this gate's. */
  #passed = false;

  /**
   * Starts the server side of the handshake on `fd` (the gate owns it from now on).
   *
   * @param timeoutMs the handshake must be done within this
   */
  constructor(
    host: TlsGateHost,
    tls: TlsServerContext,
    fd: number,
    client: Deno.NetAddr | undefined,
    local: Deno.NetAddr | undefined,
    timeoutMs: number,
  ) {
    this.#host = host;
    this.#client = client;
    this.#local = local;
    this.#handle = new Handle(host.loop, fd, this);
    tls.rotateTickets(host.loop.now);
    const stream = tls.accept(fd);
    this.#wire = stream === null ? null : new TlsWire(host.loop, this.#handle, stream, this);
    this.#handle.setDeadline(host.loop.now + timeoutMs);
  }

  /**
   * Registers the socket and tries the handshake at once (the ClientHello is usually in);
   * 0, or the errno (the socket is then closed).
   */
  watch(): number {
    const wire = this.#wire;
    const errno = wire === null ? 12 /* ENOMEM: OpenSSL made no SSL */ : this.#handle.watch(wire);
    if (errno !== 0) {
      wire?.release();
      this.#handle.close();
      return errno;
    }
    wire!.onReadable(false);
    return 0;
  }

  /** The handshake is done (the wire calls this once it is): hand the socket over. */
  onReadable(): void {
    this.#pass();
  }

  onWritable(): void {
    this.#pass();
  }

  #pass(): void {
    if (this.#passed || this.#handle.closed) return;
    const fd = this.#handle.fd;
    this.#passed = true;
    this.#handle.clearDeadline();
    this.#host.gateDone(this);
    this.#host.admit(fd, this.#client, this.#local, this.#wire!);
  }

  /** The handshake failed, or the client went away. */
  onHangup(): void {
    this.#refuse(`TLS handshake failed: ${this.#wire?.error || "the client went away"}`);
  }

  onDeadline(): void {
    this.#refuse("no TLS handshake in time");
  }

  close(): void {
    if (this.#passed) return;
    this.#wire?.release();
    if (this.#handle.close()) this.#host.gateDone(this);
  }

  #refuse(why: string): void {
    if (this.#handle.closed || this.#passed) return;
    if (this.#host.logging) {
      const c = this.#client;
      this.#host.log.info(`closed ${c ? formatAddress(c.hostname, c.port) : "a client"}: ${why}`);
    }
    this.close();
  }
}
