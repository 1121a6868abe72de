/**
 * netlab's own HTTP/1.1 server on the event loop (`--engine epoll`): the static handler behind a
 * strict parser, cached files answered from prebuilt bytes, large ones sent with sendfile(2),
 * nginx's timeouts, and accepting that pauses instead of dying when descriptors run out.
 *
 * @module
 */
import { stopOnAbort } from "../runtime/abort.ts";
import { getLogger } from "@logtape/logtape";
import { EventLoop, LINUX, type SocketHandler, TcpListener, type Timed } from "../loop/mod.ts";
import { decodeSockAddr } from "../loop/sockaddr.ts";
import { createStaticResponder } from "../http/handler.ts";
import { WorkerCompressor } from "../http/compressor.ts";
import { clientOf, withAccessLog } from "../server/access_log.ts";
import type { RunningServer, ServeOptions } from "../server/async.ts";
import { formatAddress } from "../runtime/address.ts";
import { createEnv } from "./_env.ts";
import { FILE_FAILED, FILE_FULL, type SessionIO } from "./_io.ts";
import type { FileBody } from "../http/file_response.ts";
import { FileSender } from "../loop/sendfile.ts";
import { Session } from "./_session.ts";
import { TlsConn } from "./_tls_conn.ts";
import { TlsServerContext, type TlsServerOptions } from "../tls/server.ts";
import type { TlsCounters } from "../tls/counters.ts";

/** Options of {@link startHttp1}: the serve options plus nginx's timeouts and TLS on the loop. */
export interface Http1Options extends Omit<ServeOptions, "cert" | "key"> {
  /** Serve HTTPS: certificates (PEM text), ALPN, ticket rotation. */
  tls?: TlsServerOptions;
  /** Seconds a request head may take to arrive. @default {60} */
  headerTimeout?: number;
  /** Seconds a connection may sit idle between requests. @default {75} */
  keepAliveTimeout?: number;
  /** Seconds a client may go without taking any of our bytes. @default {60} */
  sendTimeout?: number;
  /** Called once per answered request (the pool counts them). */
  onAnswer?: () => void;
  /** Level of the `listening on` record (a pool worker's is debug). @default {"info"} */
  listeningLevel?: "info" | "debug";
}

/** A running epoll server: a {@link RunningServer} that also counts requests. */
export interface Http1Server extends RunningServer {
  /** Requests parsed so far. */
  readonly requests: number;
  /** Open client connections. */
  readonly connections: number;
  /** Response bodies sent with sendfile(2) so far. */
  readonly filesSent: number;
  /** The loop's epoll descriptor (a pool supervisor reaps it if this worker dies). */
  readonly loopFd: number;
  /** What TLS made and freed (null without TLS). */
  readonly tls: TlsCounters | null;
  /** The engine as the listening line names it: `epoll`, or `epoll, OpenSSL 3.0.19` with TLS. */
  readonly label: string;
}

const READ_BUFFER = 64 * 1024;
/** send(2)'s MSG_MORE: hold the bytes for what follows (here, the FIN). */
const MSG_MORE = 0x8000;
/** Linux's TCP_DEFER_ACCEPT option number. */
const TCP_DEFER_ACCEPT = 9;
/** How stale the Date header may get (the loop's clock is read once per round anyway). */
const DATE_CHECK_MS = 50;

/**
 * Starts the epoll HTTP/1.1 server and logs `listening on http://HOST:PORT/ (engine epoll)`.
 *
 * @throws `Deno.errors.NotCapable` without FFI, and the `Deno.errors.*` of a failed listen
 */
export function startHttp1(options: Http1Options): Http1Server {
  const logger = options.logger ?? getLogger(["netlab", "server"]);
  const accessLogger = getLogger(["netlab", "access"]);
  const accessLog = options.accessLog ?? true;
  const host = options.host ?? "127.0.0.1";
  // compression off the loop's thread: a request never waits behind another file's compression
  const compressor = new WorkerCompressor();
  const base = options.handler ?? createStaticResponder({ ...options, compressor });
  const handler = accessLog ? withAccessLog(base, accessLogger) : base;

  // made first: a certificate that cannot be used fails before anything listens
  const tls = options.tls ? new TlsServerContext(options.tls) : null;
  let loop: EventLoop;
  try {
    loop = new EventLoop({
      onError: (err) => logger.error("Unexpected error: {error}", { error: err }),
    });
  } catch (err) {
    tls?.close();
    throw err;
  }
  const conns = new Set<Conn | TlsConn>();
  const sym = loop.libc.sym;
  const readBuf = new Uint8Array(READ_BUFFER);
  const files = new FileSender(loop);
  let lastDateCheck = -Infinity;
  let stopping: Promise<void> | null = null;
  const { promise: finished, resolve: resolveFinished } = Promise.withResolvers<void>();
  let hostAuthority = "";

  const env = createEnv({
    handler,
    accessLogger: accessLog ? accessLogger : null,
    onAnswer: options.onAnswer,
    authority: () => hostAuthority,
    headerTimeout: options.headerTimeout,
    keepAliveTimeout: options.keepAliveTimeout,
    sendTimeout: options.sendTimeout,
    logger,
    now: loop.now,
    inFlight: loop,
  });

  const tick = (): void => {
    const now = env.now = loop.now;
    if (now - lastDateCheck >= DATE_CHECK_MS) {
      lastDateCheck = now;
      env.date.update(Date.now());
    }
  };
  const closed = (conn: Conn | TlsConn): void => {
    conns.delete(conn);
    if (stopping !== null && conns.size === 0) void finish();
  };
  const tlsHost = {
    loop,
    env,
    readBuf,
    tick,
    closed,
    handshakeFailed: (why: string) => logger.debug(`TLS handshake failed: ${why}`),
  };

  class Conn implements SocketHandler, Timed, SessionIO {
    timerSlot = -1;
    readonly fd: number;
    readonly session: Session;

    constructor(fd: number, client: string) {
      this.fd = fd;
      this.session = new Session(env, this, client, loop.now);
    }

    onReadable(rdhup: boolean): void {
      tick();
      const session = this.session;
      while (session.reading) {
        const n = loop.recv(this.fd, readBuf, READ_BUFFER);
        if (n > 0) {
          session.onData(readBuf, n);
          if (n < READ_BUFFER && !rdhup) return;
          continue;
        }
        if (n === 0) return session.finish();
        if (n !== -LINUX.EAGAIN && n !== -LINUX.EINTR) session.close();
        return;
      }
    }

    onWritable(): void {
      env.now = loop.now;
      this.session.onWritable(loop.now);
    }

    onHangup(): void {
      this.session.close();
    }

    onDeadline(): void {
      env.now = loop.now;
      this.session.onTimeout();
    }

    send(bytes: Uint8Array, len: number, more = false): number {
      const n = more
        ? sym.send(this.fd, bytes, BigInt(len), LINUX.MSG_NOSIGNAL | MSG_MORE)
        : loop.send(this.fd, bytes, len);
      if (n >= 0) return n;
      const errno = more ? -loop.libc.errno() : n;
      return errno === -LINUX.EAGAIN || errno === -LINUX.EINTR ? 0 : -1;
    }

    openFile(body: FileBody): number {
      return files.open(body.path, body);
    }

    sendFile(file: number, offset: number, count: number): number {
      const n = files.send(this.fd, file, offset, count);
      if (n >= 0) return n;
      return n === -LINUX.EAGAIN || n === -LINUX.EINTR ? FILE_FULL : FILE_FAILED;
    }

    closeFile(file: number): void {
      files.close(file);
    }

    close(): void {
      loop.clearDeadline(this);
      loop.close(this.fd);
      closed(this);
    }

    resume(): void {
      this.onReadable(false);
    }

    setDeadline(at: number): void {
      if (at === 0) loop.clearDeadline(this);
      else loop.setDeadline(this, at);
    }
  }

  let listener: TcpListener;
  try {
    listener = listen();
  } catch (err) {
    compressor.close();
    tls?.close();
    void loop.stop();
    throw err;
  }
  function listen(): TcpListener {
    return new TcpListener(loop, {
      host,
      port: options.port ?? 8000,
      reusePort: options.reusePort ?? false,
      backlog: 4096,
    }, {
      onAccept(fd, peer) {
        if (stopping !== null) {
          loop.close(fd);
          return;
        }
        const client = accessLog ? clientOf({ remoteAddr: decodeSockAddr(peer) } as never) : "-";
        let conn: Conn | TlsConn;
        if (tls !== null) {
          tls.rotateTickets(loop.now);
          const stream = tls.accept(fd);
          if (stream === null) return loop.close(fd);
          conn = new TlsConn(tlsHost, fd, stream, client);
        } else conn = new Conn(fd, client);
        conns.add(conn);
        // A client usually sends its request with the handshake: read and answer it before
        // registering, and a connection that is done by then (HTTP/1.0, Connection: close) never
        // costs an epoll_ctl.
        conn.onReadable(false);
        if (conn.session.closed) return;
        const errno = loop.watch(fd, conn);
        if (errno !== 0) conn.session.close();
      },
      onOverload(errno, count) {
        // worded as the deno engine words it, so logs read the same on both
        const why = errno === LINUX.EMFILE
          ? "Too many open files (os error 24)"
          : errno === LINUX.ENFILE
          ? "Too many open files in system (os error 23)"
          : `os error ${errno}`;
        logger.warn(
          `Cannot accept connections on ${hostAuthority}: ${why}; ${count} refused, ` +
            "accepting again shortly",
          { errno, count },
        );
      },
    });
  }
  // TCP_DEFER_ACCEPT: the kernel hands over a connection once its first bytes are in (or after
  // a second), so accepting and answering a request take one wake-up, not two
  loop.setOption(listener.fd, LINUX.IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
  const addr = listener.addr;
  hostAuthority = formatAddress(addr.hostname, addr.port);
  const url = `${tls !== null ? "https" : "http"}://${hostAuthority}/`;

  const finish = async (): Promise<void> => {
    compressor.close();
    await loop.stop();
    tls?.close();
    resolveFinished();
  };

  const shutdown = (): Promise<void> => {
    if (stopping !== null) return stopping;
    listener.close();
    stopping = finished;
    for (const conn of [...conns]) {
      conn.session.draining = true;
      if (conn.session.idle) conn.session.close();
    }
    if (conns.size === 0) void finish();
    return stopping;
  };
  stopOnAbort(options.signal, shutdown, finished);
  const level = options.listeningLevel ?? "info";
  const label = tls !== null ? `epoll, ${tls.library}` : "epoll";
  logger[level](`listening on ${url} (engine ${label})`, {
    url,
    host: addr.hostname,
    port: addr.port,
    engine: "epoll",
    ...(tls !== null ? { tls: tls.library } : {}),
  });
  return {
    addr,
    url,
    engine: "epoll",
    loopFd: loop.fd,
    tls: tls?.counters ?? null,
    label,
    finished,
    shutdown,
    get requests() {
      return env.requests;
    },
    get connections() {
      return conns.size;
    },
    get filesSent() {
      return env.filesSent;
    },
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}
