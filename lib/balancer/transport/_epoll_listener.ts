/**
 * A listening nonblocking socket of the epoll engine. accept4 hands over the client's address
 * in the same call and makes the new socket nonblocking, so a client costs one syscall here.
 *
 * @module
 */
import { C, type Libc } from "../../loop/_libc.ts";
import { closedError, errnoError } from "../../loop/errno.ts";
import { EpollConn, EpollSocket, setIntOption } from "./_epoll_conn.ts";
import type { Poller } from "./_poller.ts";
import { decodeSockAddr, encodeSockAddr, SOCKADDR_MAX } from "../../loop/sockaddr.ts";
import type { TransportConn, TransportListener } from "./transport.ts";

const BACKLOG = 1024;

/** A listening socket. */
export class EpollListener extends EpollSocket implements TransportListener {
  readonly addr: Deno.NetAddr;
  #peer = new Uint8Array(SOCKADDR_MAX);
  #peerLen = new Uint32Array(1);
  #peerLenBytes = new Uint8Array(this.#peerLen.buffer);

  /** Binds and listens on host (an IP literal) and port; throws as Deno.listen would. */
  constructor(host: string, port: number, libc: Libc, poller: Poller) {
    const sa = encodeSockAddr(host, port);
    const { sym } = libc;
    const fd = sym.socket(sa.family, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0);
    if (fd < 0) throw errnoError(libc.errno(), "socket");
    super(fd, libc, poller);
    try {
      setIntOption(libc, fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
      // accepted sockets inherit it (Linux), which saves a setsockopt per client
      setIntOption(libc, fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
      if (sym.bind(fd, sa.bytes, sa.bytes.length) !== 0) throw errnoError(libc.errno(), "bind");
      if (sym.listen(fd, BACKLOG) !== 0) throw errnoError(libc.errno(), "listen");
      this.#peerLen[0] = SOCKADDR_MAX;
      if (sym.getsockname(fd, this.#peer, this.#peerLenBytes) !== 0) {
        throw errnoError(libc.errno(), "getsockname");
      }
      this.addr = decodeSockAddr(this.#peer);
      const errno = poller.add(fd, this);
      if (errno !== 0) throw errnoError(errno, "epoll_ctl");
    } catch (err) {
      sym.close(fd);
      this.closed = true;
      throw err;
    }
  }

  async accept(): Promise<TransportConn> {
    const { sym } = this.libc;
    while (true) {
      if (this.closed) throw closedError();
      this.#peerLen[0] = SOCKADDR_MAX;
      const fd = sym.accept4(
        this.fd,
        this.#peer,
        this.#peerLenBytes,
        C.SOCK_NONBLOCK | C.SOCK_CLOEXEC,
      );
      if (fd >= 0) {
        const peer = decodeSockAddr(this.#peer);
        const conn = new EpollConn(fd, peer, this.libc, this.poller, true);
        const errno = this.poller.add(fd, conn);
        if (errno !== 0) {
          sym.close(fd);
          throw errnoError(errno, "epoll_ctl");
        }
        return conn;
      }
      const errno = this.libc.errno();
      if (errno === C.EAGAIN) await this.readable();
      else if (errno !== C.EINTR) throw errnoError(errno, "accept4");
    }
  }
}
