/**
 * A listening socket on the loop that survives overload: when accept4 fails for want of a
 * descriptor or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) it pauses briefly and tries again,
 * and says so at most once a second, with a count. It never gives up. It takes at most
 * `maxAccept` connections per round of events (HAProxy's `maxaccept`), so a storm of new
 * connections cannot starve the established ones: the rest wait for the next round.
 *
 * @module
 */
import { C } from "./_libc.ts";
import type { EventLoop, SocketHandler } from "./loop.ts";
import { Handle } from "./handle.ts";
import { SOCKADDR_MAX } from "./sockaddr.ts";
import { type ListenOptions, listenSocket } from "./socket.ts";
import { errnoError } from "./errno.ts";

/** What a {@linkcode TcpListener} calls. */
export interface ListenerHandlers {
  /**
   * A client was accepted: `fd` is nonblocking, close-on-exec and not yet registered (the
   * receiver owns it). `peer` holds its `sockaddr` (see `decodeSockAddr`), valid only during
   * the call: decode it only when something will print or hash it.
   */
  onAccept(fd: number, peer: Uint8Array): void;
  /**
   * accept4 failed for want of resources, `count` times since the last call (the first failure
   * is reported at once, later ones at most once a second). Accepting pauses and resumes.
   */
  onOverload?(errno: number, count: number): void;
}

/** Options for {@linkcode TcpListener}. */
export interface ListenerOptions extends ListenOptions {
  /** How long accepting pauses after running out of descriptors. @default {100} */
  pauseMs?: number;
  /** Most connections accepted per round of events. @default {Infinity} */
  maxAccept?: number;
}

/** errnos that concern one client only (it reset before we took it, a signal): take the next. */
const ONE_CLIENT = new Set<number>([
  C.EINTR,
  103, /* ECONNABORTED */
  71, /* EPROTO */
  1, /* EPERM */
]);
const REPORT_EVERY_MS = 1000;

/** A listening socket that hands each accepted client to `onAccept`. */
export class TcpListener implements SocketHandler {
  /** The bound address (port 0 resolved). */
  readonly addr: Deno.NetAddr;
  #h: Handle;
  #loop: EventLoop;
  #handlers: ListenerHandlers;
  #pauseMs: number;
  #maxAccept: number;
  #peer = new Uint8Array(SOCKADDR_MAX);
  #peerLen = new Uint32Array(1);
  #peerLenBytes = new Uint8Array(this.#peerLen.buffer);
  #paused = false;
  #failures = 0;
  #lastErrno = 0;
  #reportedAt = -Infinity;

  /**
   * Binds, listens and registers with `loop`.
   *
   * @throws what `Deno.listen` throws for the same errno
   */
  constructor(loop: EventLoop, options: ListenerOptions, handlers: ListenerHandlers) {
    const { fd, addr } = listenSocket(loop, options);
    this.#h = new Handle(loop, fd, this);
    this.addr = addr;
    this.#loop = loop;
    this.#handlers = handlers;
    this.#pauseMs = options.pauseMs ?? 100;
    this.#maxAccept = Math.max(1, options.maxAccept ?? Infinity);
    const errno = this.#h.watch(this);
    if (errno !== 0) {
      this.#h.close();
      throw errnoError(errno, "epoll_ctl");
    }
  }

  /** The listening fd (-1 once closed). */
  get fd(): number {
    return this.#h.fd;
  }

  /**
   * Accepts until the queue is empty, accepting is paused, the listener closed, or this round's
   * share is taken (the socket is then re-armed: it reports again next round).
   */
  #acceptAll(): void {
    const { sym } = this.#loop.libc;
    let taken = 0;
    while (!this.#paused && !this.#h.closed) {
      if (taken++ >= this.#maxAccept) {
        this.#loop.rearm(this.#h.fd);
        return;
      }
      this.#peerLen[0] = SOCKADDR_MAX;
      const fd = sym.accept4(
        this.#h.fd,
        this.#peer,
        this.#peerLenBytes,
        C.SOCK_NONBLOCK | C.SOCK_CLOEXEC,
      );
      if (fd >= 0) {
        this.#handlers.onAccept(fd, this.#peer);
        continue;
      }
      const errno = this.#loop.libc.errno();
      if (errno === C.EAGAIN || errno === C.EBADF) return;
      // out of descriptors or memory (or anything unforeseen): pause rather than spin
      if (!ONE_CLIENT.has(errno)) return this.#overloaded(errno);
    }
  }

  #overloaded(errno: number): void {
    this.#paused = true;
    this.#failures++;
    this.#lastErrno = errno;
    this.#report(this.#loop.now);
    this.#h.setDeadline(this.#loop.now + this.#pauseMs);
  }

  #report(now: number): void {
    if (this.#failures === 0 || now - this.#reportedAt < REPORT_EVERY_MS) return;
    this.#handlers.onOverload?.(this.#lastErrno, this.#failures);
    this.#failures = 0;
    this.#reportedAt = now;
  }

  /** @internal the handle's deadline: resume accepting, report what is untold */
  onDeadline(now: number): void {
    if (this.#h.closed) return;
    if (this.#paused) {
      this.#paused = false;
      this.#acceptAll();
    }
    this.#report(now);
    // failures not yet told: say them when their second is up
    if (this.#failures > 0 && this.#h.timerSlot < 0) {
      this.#h.setDeadline(this.#reportedAt + REPORT_EVERY_MS);
    }
  }

  onReadable(): void {
    this.#acceptAll();
  }

  onWritable(): void {}

  onHangup(): void {
    this.#acceptAll();
  }

  /** Whether accepting is paused after running out of descriptors. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Stops listening and closes the socket. */
  close(): void {
    this.#h.close();
  }
}
