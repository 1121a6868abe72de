/**
 * Nonblocking TCP sockets for the loop: listening (IPv4 or IPv6, SO_REUSEPORT on request) and
 * connecting. Errors are the ones Deno.net throws for the same errno.
 *
 * @module
 */
import { C } from "./_libc.ts";
import { errnoError } from "./errno.ts";
import type { EventLoop, SocketHandler } from "./loop.ts";
import { decodeSockAddr, encodeSockAddr, type SockAddr, SOCKADDR_MAX } from "./sockaddr.ts";

/** Where and how to listen. */
export interface ListenOptions {
  /** An IPv4 or IPv6 literal (the loop resolves no names). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Let other sockets (other threads or processes) listen on the same port. @default {false} */
  reusePort?: boolean;
  /** The kernel's queue of connections not yet accepted. @default {1024} */
  backlog?: number;
  /** TCP_NODELAY, which accepted sockets inherit (a setsockopt saved per client). @default {true} */
  noDelay?: boolean;
}

const TYPE = C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;

/**
 * Opens a nonblocking listening socket (not yet registered with the loop).
 *
 * @returns the fd and the bound address (port 0 resolved)
 * @throws the error `Deno.listen` throws for the same errno (e.g. `Deno.errors.AddrInUse`), or a
 *   TypeError when `host` is not an IP literal
 */
export function listenSocket(loop: EventLoop, options: ListenOptions): {
  fd: number;
  addr: Deno.NetAddr;
} {
  const sa = encodeSockAddr(options.host, options.port);
  const { libc } = loop;
  const fd = libc.sym.socket(sa.family, TYPE, 0);
  if (fd < 0) throw errnoError(libc.errno(), "socket");
  try {
    loop.setOption(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (options.reusePort) {
      const errno = loop.setOption(fd, C.SOL_SOCKET, C.SO_REUSEPORT, 1);
      if (errno !== 0) throw errnoError(errno, "setsockopt");
    }
    if (options.noDelay ?? true) loop.setOption(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    if (libc.sym.bind(fd, sa.bytes, sa.bytes.length) !== 0) {
      throw errnoError(libc.errno(), "bind");
    }
    if (libc.sym.listen(fd, options.backlog ?? 1024) !== 0) {
      throw errnoError(libc.errno(), "listen");
    }
    return { fd, addr: localAddr(loop, fd) };
  } catch (err) {
    libc.sym.close(fd);
    throw err;
  }
}

/** The local address of a socket (getsockname). */
export function localAddr(loop: EventLoop, fd: number): Deno.NetAddr {
  const buf = new Uint8Array(SOCKADDR_MAX);
  const len = new Uint8Array(new Uint32Array([SOCKADDR_MAX]).buffer);
  if (loop.libc.sym.getsockname(fd, buf, len) !== 0) {
    throw errnoError(loop.libc.errno(), "getsockname");
  }
  return decodeSockAddr(buf);
}

/**
 * The address of a connected socket's peer (getpeername), for when something will print it: an
 * accepted socket's address is also what `onAccept` got, without a syscall.
 *
 * @returns the address, or undefined once the peer is gone (ENOTCONN)
 */
export function peerAddr(loop: EventLoop, fd: number): Deno.NetAddr | undefined {
  const buf = new Uint8Array(SOCKADDR_MAX);
  const len = new Uint8Array(new Uint32Array([SOCKADDR_MAX]).buffer);
  if (loop.libc.sym.getpeername(fd, buf, len) !== 0) return undefined;
  return decodeSockAddr(buf);
}

/**
 * Starts a nonblocking connect and registers the socket with `owner`. The outcome is an event:
 * `onWritable` once connected, `onHangup` when it failed (`loop.socketError(fd)` says why).
 * A connect that fails at once (no descriptor left, a refusal the kernel knows already) returns
 * its errno negated and leaves nothing open.
 *
 * @returns the fd, or the errno negated
 */
export function connectSocket(loop: EventLoop, addr: SockAddr, owner: SocketHandler): number {
  const { sym } = loop.libc;
  const fd = sym.socket(addr.family, TYPE, 0);
  if (fd < 0) return -loop.libc.errno();
  if (sym.connect(fd, addr.bytes, addr.bytes.length) !== 0) {
    const errno = loop.libc.errno();
    if (errno !== C.EINPROGRESS) {
      sym.close(fd);
      return -errno;
    }
  }
  // registered only now: an unconnected socket would report EPOLLOUT|EPOLLHUP at once
  const errno = loop.watch(fd, owner);
  if (errno !== 0) {
    sym.close(fd);
    return -errno;
  }
  return fd;
}
