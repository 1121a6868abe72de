/**
 * netlab's own HTTP/1.1 server on the event loop (`--engine epoll`): the static handler behind the
 * strict engine of `lib/http1/` (cached files answered from prebuilt bytes, large ones sent with
 * sendfile(2), nginx's timeouts, one answer in flight per connection, lingering close), a
 * listener that pauses instead of dying when descriptors run out and takes a bounded batch of
 * connections per round, and a graceful stop.
 *
 * @module
 */
import { stopOnAbort } from "../runtime/abort.ts";
import { getLogger, type Logger } from "@logtape/logtape";
import { EventLoop, LINUX, TcpListener } from "../loop/mod.ts";
import { decodeSockAddr } from "../loop/sockaddr.ts";
import { FileSender } from "../loop/sendfile.ts";
import { Gather } from "../loop/writev.ts";
import { createStaticResponder } from "../http/handler.ts";
import { WorkerCompressor } from "../http/compressor.ts";
import { clientOf } from "../http/access_log.ts";
import type { RunningServer, ServeOptions } from "./async.ts";
import { formatAddress } from "../runtime/address.ts";
import { createEnv, type Http1Env } from "../http1/_env.ts";
import { Http1Connection, type Http1Shared, type Served } from "../http1/connection.ts";
import { tlsAcceptor } from "../http1/_tls_conn.ts";
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
  /** Most connections accepted per round of events (HAProxy's maxaccept). @default {64} */
  maxAccept?: number;
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
/** Linux's TCP_DEFER_ACCEPT option number. */
const TCP_DEFER_ACCEPT = 9;
/** Connections accepted per round of events unless told otherwise. */
const MAX_ACCEPT = 64;

/**
 * Starts the epoll HTTP/1.1 server and logs `listening on http://HOST:PORT/ (engine epoll)`.
 *
 * @throws `Deno.errors.NotCapable` without FFI, and the `Deno.errors.*` of a failed listen
 */
export function startHttp1(options: Http1Options): Http1Server {
  const logger = options.logger ?? getLogger(["netlab", "server"]);
  const accessLogger = (options.accessLog ?? true) ? getLogger(["netlab", "access"]) : null;
  // compression off the loop's thread: a request never waits behind another file's compression
  const compressor = new WorkerCompressor();
  // the access log is written by the sessions, once each answer's bytes have left
  const handler = options.handler ?? createStaticResponder({ ...options, compressor });
  // made first: a certificate that cannot be used fails before anything listens
  const tls = options.tls ? new TlsServerContext(options.tls) : null;
  const closeAll = () => {
    compressor.close();
    tls?.close();
  };
  let loop: EventLoop;
  try {
    loop = new EventLoop({
      onError: (err) => logger.error("Unexpected error: {error}", { error: err }),
    });
  } catch (err) {
    closeAll();
    throw err;
  }
  let authority = "";
  const env = createEnv({
    handler,
    accessLogger,
    onAnswer: options.onAnswer,
    headers: options.headers,
    authority: () => authority,
    headerTimeout: options.headerTimeout,
    keepAliveTimeout: options.keepAliveTimeout,
    sendTimeout: options.sendTimeout,
    logger,
    now: loop.now,
    inFlight: loop,
  });
  const conns = new Set<Served>();
  const life = lifecycle(loop, conns, closeAll);
  const shared = sharedBy(loop, env, (conn) => {
    conns.delete(conn);
    life.closed();
  });
  const accept = tls === null
    ? (fd: number, client: string) => new Http1Connection(shared, fd, client)
    : tlsAcceptor(shared, tls, (why) => logger.debug(`TLS handshake failed: ${why}`));
  let listener: TcpListener;
  try {
    listener = listen(options, shared, conns, accessLogger !== null, logger, life, accept);
  } catch (err) {
    closeAll();
    void loop.stop();
    throw err;
  }
  const addr = listener.addr;
  authority = formatAddress(addr.hostname, addr.port);
  const url = `${tls !== null ? "https" : "http"}://${authority}/`;
  const shutdown = (): Promise<void> => life.stop(listener);
  stopOnAbort(options.signal, shutdown, life.finished);
  const label = announce(logger, options.listeningLevel ?? "info", url, addr, tls);
  const server = running(addr, url, loop, env, conns, life.finished, shutdown);
  return Object.assign(server, { tls: tls?.counters ?? null, label });
}

/** What the connections of one server share. */
function sharedBy(loop: EventLoop, env: Http1Env, onClosed: (conn: Served) => void): Http1Shared {
  return {
    loop,
    env,
    readBuf: new Uint8Array(READ_BUFFER),
    files: new FileSender(loop),
    gather: new Gather(loop),
    dateAt: -Infinity,
    onClosed,
  };
}

/** Logs the listening line; returns the engine as it names it. */
function announce(
  logger: Logger,
  level: "info" | "debug",
  url: string,
  addr: Deno.NetAddr,
  tls: TlsServerContext | null,
): string {
  const label = tls !== null ? `epoll, ${tls.library}` : "epoll";
  logger[level](`listening on ${url} (engine ${label})`, {
    url,
    host: addr.hostname,
    port: addr.port,
    engine: "epoll",
    ...(tls !== null ? { tls: tls.library } : {}),
  });
  return label;
}

/** The server's stop: drain, then close the loop once; every call gets the same promise. */
function lifecycle(loop: EventLoop, conns: Set<Served>, onStop: () => void) {
  const { promise: finished, resolve } = Promise.withResolvers<void>();
  let stopping = false;
  let finishing: Promise<void> | null = null;
  const finish = (): Promise<void> =>
    finishing ??= (async () => {
      onStop();
      await loop.stop();
      resolve();
    })();
  return {
    finished,
    get stopping(): boolean {
      return stopping;
    },
    /** A connection closed: the last one during a stop ends the loop. */
    closed(): void {
      if (stopping && conns.size === 0) void finish();
    },
    stop(listener: TcpListener): Promise<void> {
      if (stopping) return finished;
      stopping = true;
      listener.close();
      for (const conn of [...conns]) {
        conn.session.draining = true;
        if (conn.session.idle) conn.session.close();
      }
      if (conns.size === 0) void finish();
      return finished;
    },
  };
}

/** Opens the listener; each accepted client becomes what `accept` makes of it. */
function listen(
  options: Http1Options,
  shared: Http1Shared,
  conns: Set<Served>,
  accessLog: boolean,
  logger: Logger,
  life: { readonly stopping: boolean },
  accept: (fd: number, client: string) => Served | null,
): TcpListener {
  const { loop } = shared;
  let authority = "";
  const listener = new TcpListener(loop, {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 8000,
    reusePort: options.reusePort ?? false,
    backlog: 4096,
    maxAccept: options.maxAccept ?? MAX_ACCEPT,
  }, {
    onAccept(fd, peer) {
      if (life.stopping) return loop.close(fd);
      const client = accessLog ? clientOf({ remoteAddr: decodeSockAddr(peer) } as never) : "-";
      const conn = accept(fd, client);
      if (conn === null) return loop.close(fd);
      conns.add(conn);
      // A client usually sends its request with the handshake: read and answer it before
      // registering, and a connection that is done by then (HTTP/1.0, Connection: close) never
      // costs an epoll_ctl.
      conn.onReadable(false);
      if (!conn.open) return;
      if (conn.watch() !== 0) conn.session.close();
    },
    onOverload(errno, count) {
      logger.warn(
        `Cannot accept connections on ${authority}: ${overloadReason(errno)}; ${count} ` +
          "refused, accepting again shortly",
        { errno, count },
      );
    },
  });
  authority = formatAddress(listener.addr.hostname, listener.addr.port);
  // TCP_DEFER_ACCEPT: the kernel hands over a connection once its first bytes are in (or after
  // a second), so accepting and answering a request take one wake-up, not two
  loop.setOption(listener.fd, LINUX.IPPROTO_TCP, TCP_DEFER_ACCEPT, 1);
  return listener;
}

/** Worded as the deno engine words it, so logs read the same on both. */
function overloadReason(errno: number): string {
  return errno === LINUX.EMFILE
    ? "Too many open files (os error 24)"
    : errno === LINUX.ENFILE
    ? "Too many open files in system (os error 23)"
    : `os error ${errno}`;
}

function running(
  addr: Deno.NetAddr,
  url: string,
  loop: EventLoop,
  env: Http1Env,
  conns: Set<Served>,
  finished: Promise<void>,
  shutdown: () => Promise<void>,
): Omit<Http1Server, "tls" | "label"> {
  return {
    addr,
    url,
    engine: "epoll",
    loopFd: loop.fd,
    finished,
    shutdown,
    // a drain that ran out of time: close what is left, so each answer logs the bytes that left
    async close(): Promise<void> {
      void shutdown();
      for (const conn of [...conns]) conn.session.close();
      await finished;
    },
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
