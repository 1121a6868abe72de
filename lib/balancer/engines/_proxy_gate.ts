/**
 * `--accept-proxy` on the epoll engines: an accepted socket is held here until its PROXY
 * header (v1 or v2) has come whole. The header is read with MSG_PEEK, bounded by
 * `PROXY_HEADER_MAX`, and only its own bytes are then taken off the socket, so what follows is
 * left for the connection's owner. A socket without a valid header within the deadline is closed
 * with one log line.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { type EventLoop, Handle, LINUX as C, type SocketHandler } from "../../loop/mod.ts";
import { formatAddress } from "../backend_spec.ts";
import {
  parseProxyHeader,
  PROXY_HEADER_MAX,
  PROXY_INCOMPLETE,
  type ProxyHeader,
} from "../proxy_protocol.ts";

/** What a gate hands its socket on to, and where it logs. */
export interface GateHost {
  readonly loop: EventLoop;
  readonly log: Logger;
  /** The header came: the socket (unregistered, no deadline) and the client it names. */
  admit(fd: number, client: Deno.NetAddr, local: Deno.NetAddr | undefined): void;
  /** The gate is done (admitted or closed). */
  gateDone(gate: { close(): void }): void;
}

/** One accepted socket waiting for its PROXY header. */
export class ProxyGate implements SocketHandler {
  readonly #host: GateHost;
  readonly #handle: Handle;
  readonly #peer: Deno.NetAddr;
  #buf: Uint8Array | undefined;
  /** The socket went on to its owner: no longer this gate's. */
  #passed = false;

  constructor(host: GateHost, fd: number, peer: Deno.NetAddr, timeoutMs: number) {
    this.#host = host;
    this.#peer = peer;
    this.#handle = new Handle(host.loop, fd, this);
    this.#handle.setDeadline(host.loop.now + timeoutMs);
  }

  /** Registers the socket; 0, or the errno (the socket is then closed). */
  watch(): number {
    const errno = this.#handle.watch(this);
    if (errno !== 0) this.#handle.close();
    return errno;
  }

  onReadable(rdhup = false): void {
    const { loop } = this.#host;
    const fd = this.#handle.fd;
    if (fd < 0 || this.#passed) return;
    const buf = this.#buf ??= new Uint8Array(PROXY_HEADER_MAX);
    const n = loop.peek(fd, buf, buf.length);
    if (n === -C.EAGAIN || n === -C.EINTR) return;
    if (n <= 0) return this.#refuse(n === 0 ? "closed before its PROXY header" : "read failed");
    const r = parseProxyHeader(buf.subarray(0, n));
    if (r === PROXY_INCOMPLETE) {
      // the client's FIN or a full peek buffer with no header end: nothing more can come
      if (n === buf.length) return this.#refuse("PROXY header too long");
      return rdhup ? this.#refuse("closed within its PROXY header") : undefined;
    }
    if (typeof r === "string") return this.#refuse(r);
    this.#take(r);
  }

  #take(r: ProxyHeader): void {
    const { loop } = this.#host;
    const fd = this.#handle.fd;
    // the bytes peeked are queued: taking exactly them cannot fall short
    if (loop.recv(fd, this.#buf!, r.length) !== r.length) return this.#refuse("read failed");
    this.#passed = true;
    this.#handle.clearDeadline();
    loop.unwatch(fd);
    this.#host.gateDone(this);
    this.#host.admit(fd, r.source ?? this.#peer, r.destination);
  }

  onWritable(): void {}

  onHangup(): void {
    this.onReadable(true);
    this.#refuse("closed before its PROXY header");
  }

  onDeadline(): void {
    this.#refuse("no PROXY header in time");
  }

  /** Closes the socket (a shutdown, or a bad header). */
  close(): void {
    if (!this.#passed && this.#handle.close()) this.#host.gateDone(this);
  }

  #refuse(why: string): void {
    if (this.#handle.closed || this.#passed) return;
    this.#host.log.warn(
      `closed ${formatAddress(this.#peer.hostname, this.#peer.port)}: ${why} (--accept-proxy)`,
    );
    this.close();
  }
}
