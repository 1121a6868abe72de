/**
 * How the raw engine opens its connections. On Linux, to an IP address (https: or a name), with
 * FFI allowed:
 * lib/loop (nonblocking libc sockets, one edge-triggered epoll set per thread; for https, lib/tls
 * over OpenSSL 3 on the same loop, see `_dial_tls.ts`), driven by `_loop_client.ts`, whose loop
 * serves every ready connection once per wake-up as wrk does, so at -c 1000 no connection runs
 * ahead of the others, and costs less CPU per request. Anywhere else: Deno.connect (and
 * Deno.startTls for https). At most CONNECTS_AT_ONCE connects are in flight either way.
 *
 * @module
 */
import { ASYNC_LOOP_OPTIONS, encodeSockAddr, EventLoop, isIpLiteral } from "../../loop/mod.ts";
import { epollTlsDialer } from "./_dial_tls.ts";
import type { LoopTarget } from "./_loop_conn.ts";

/** The part of a connection the raw engine uses. */
export interface RawConn {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  close(): void;
  /** Present on TLS connections: completes the handshake. */
  handshake?: () => Promise<unknown>;
  /** On OpenSSL's TLS connections, once the handshake is done: whether it resumed a session. */
  readonly resumed?: boolean;
  /** On OpenSSL's TLS connections: the protocol version agreed. */
  readonly protocol?: string;
  /** On OpenSSL's TLS connections: the cipher suite agreed. */
  readonly cipher?: string;
}

/** Opens connections to one host and port on Deno's sockets. */
export interface ConnDialer {
  readonly name: "deno";
  /** Connects; `signal` ends a pending connect (rejecting with Deno.errors.Interrupted). */
  dial(signal: AbortSignal): Promise<RawConn>;
  /** Releases the dialer once every connection it made is closed. */
  close(): void;
}

/** Where connections go on lib/loop: the loop clients connect by themselves. */
export interface LoopDialer {
  readonly name: "epoll";
  readonly target: LoopTarget;
  /** Releases the loop (and TLS context) once every connection is closed. */
  close(): void;
}

/** How the raw engine connects: "epoll" (lib/loop) or "deno" (Deno's sockets). */
export type Dialer = ConnDialer | LoopDialer;

/**
 * Connects in flight at once per engine. A thousand SYNs at once overflow a listen backlog (nginx's
 * is 511) and the dropped ones come back a second later (the SYN retry); wrk meets the same queue
 * but starts its clock only once connected. Past this many, a client waits its turn to connect
 * before its request's clock starts, so the time it waited is bench's, not the server's.
 */
export const CONNECTS_AT_ONCE = 64;

/** A counting semaphore for connects: FIFO, one promise per waiter. */
export class ConnectGate {
  #free: number;
  #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  /** Resolves once a slot is taken. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back (to the longest waiter, if any). */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

/**
 * Deno.connect, then Deno.startTls for https; the connection is closed if either step throws. The
 * address the first connection reached is what later connections use: a name lookup per connection
 * cost 15-20% of the rate with `localhost`.
 */
function denoDialer(
  hostname: string,
  port: number,
  tls: boolean,
  caCerts: string[],
): ConnDialer {
  let address: string | null = null;
  const tlsOptions = { hostname, ...(caCerts.length > 0 ? { caCerts } : {}) };
  return {
    name: "deno",
    async dial(signal) {
      // Only Deno.connect takes a signal (a connect can hang on a full accept queue), so TLS
      // starts on top of it rather than via connectTls.
      const conn = await Deno.connect({ hostname: address ?? hostname, port, signal });
      address ??= conn.remoteAddr.hostname;
      try {
        conn.setNoDelay(true);
        return tls ? await Deno.startTls(conn, tlsOptions) : conn;
      } catch (err) {
        closeQuietly(conn); // nobody else holds it yet
        throw err;
      }
    },
    close() {},
  };
}

/** Deno.connect to a Unix socket (`--unix-socket`): plain HTTP, the Host header from the URL. */
export function unixDialer(path: string): ConnDialer {
  return {
    name: "deno",
    dial: (signal) => Deno.connect({ transport: "unix", path, signal } as Deno.UnixConnectOptions),
    close() {},
  };
}

/** Plain connections on one event loop, to an IP address. */
function epollDialer(loop: EventLoop, hostname: string, port: number): LoopDialer {
  const addr = encodeSockAddr(hostname, port);
  const target: LoopTarget = {
    loop,
    tls: null,
    servername: hostname,
    addr,
    candidates: () => Promise.resolve([addr]),
  };
  return {
    name: "epoll",
    target,
    close() {
      loop.stop().catch(() => {}); // every socket is closed by now; nothing to wait for
    },
  };
}

/** The epoll dialer where it can run, else Deno's. */
export function makeDialer(
  hostname: string,
  port: number,
  tls: boolean,
  sockets: "auto" | "deno" = "auto",
  caCerts: string[] = [],
  insecure = false,
): Dialer {
  // https to a name too: OpenSSL on the loop looks it up once and sends it as SNI
  const epoll = sockets === "auto" && Deno.build.os === "linux" &&
    (tls || isIpLiteral(hostname)) &&
    Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  if (epoll) {
    let loop: EventLoop | undefined;
    try {
      loop = new EventLoop(ASYNC_LOOP_OPTIONS);
      return tls
        ? epollTlsDialer(loop, hostname, port, { caCerts, insecure })
        : epollDialer(loop, hostname, port);
    } catch {
      // no libc or OpenSSL 3 to open, no epoll instance: Deno's sockets do the same job
      loop?.stop().catch(() => {});
    }
  }
  return denoDialer(hostname, port, tls, caCerts);
}
