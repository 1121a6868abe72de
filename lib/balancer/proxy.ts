/**
 * Byte-level TCP proxying between two connected sockets: one read/write loop per direction, each
 * with its own reused buffer. Awaiting every write before the next read is the backpressure: a
 * slow reader stalls its writer, so a connection never holds more than its two buffers.
 * `ReadableStream.pipeTo` is not used because it closes the whole socket at the first FIN, which
 * breaks half-closed conversations.
 *
 * @module
 */

/** The socket operations {@linkcode proxy} needs: a `Deno.Conn` has them, and so does an epoll socket. */
export interface ProxyConn {
  /** Reads into the buffer: the byte count, or null at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes some of the buffer, resolving with how many bytes went. */
  write(buf: Uint8Array): Promise<number>;
  /** Sends a FIN. */
  closeWrite(): Promise<void>;
  /** Closes the socket. */
  close(): void;
}

/**
 * How a proxied connection ended: a timeout, error or shutdown if one happened (the first),
 * otherwise which side sent the first FIN.
 */
export type EndReason =
  | "client closed"
  | "backend closed"
  | "idle timeout"
  | "fin timeout"
  | "client error"
  | "backend error"
  | "shutdown";

/** Bytes forwarded so far; updated per chunk so stats can read it while the connection lives. */
export interface Traffic {
  /** Client to backend. */
  up: number;
  /** Backend to client. */
  down: number;
}

/** Tuning and limits for {@linkcode proxy}. */
export interface ProxyOptions {
  /** Bytes per direction read at once (and the most a direction ever holds). @default {16384} */
  bufferSize?: number;
  /** Close both sides after this long without a byte either way; 0 disables. @default {60000} */
  idleTimeoutMs?: number;
  /**
   * After one side's FIN, how long the other direction may stay without a byte (the idle timeout
   * of a half-closed connection, like HAProxy's `timeout client-fin`); 0, the default, leaves it
   * to the idle timeout. @default {0}
   */
  finTimeoutMs?: number;
  /** Closes both sides at once (end reason "shutdown"). */
  signal?: AbortSignal;
  /**
   * Two buffers to use (client to backend, backend to client) instead of allocating them, so a
   * busy balancer can recycle them across connections; `bufferSize` is then ignored.
   */
  buffers?: readonly [Uint8Array, Uint8Array];
  /** Shared counters to add to as bytes flow (e.g. a backend's totals for live stats). */
  traffic?: Traffic;
}

/** The outcome of one proxied connection. */
export interface ProxyResult extends Traffic {
  /** The first thing that ended the conversation. */
  end: EndReason;
  /** The error behind "client error" or "backend error". */
  error?: unknown;
  /** Milliseconds from start to both sockets closed. */
  durationMs: number;
}

/** A peer that has gone: the errors a write to a closed socket gives. */
function isGone(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset;
}

/**
 * Default per-direction buffer size in bytes: a small HTTP exchange fits in one read, and 10,000
 * connections hold at most 320 MiB of buffers.
 */
export const DEFAULT_BUFFER_SIZE = 16 * 1024;

/**
 * The quiet time that ends a forwarded connection (0: none), as both engines count it: the FIN
 * timeout once a FIN was passed on, when it is set and shorter than the idle timeout, else the
 * idle timeout.
 */
export function quietLimit(idleMs: number, finMs: number, halfClosed: boolean): number {
  return halfClosed && finMs > 0 && (idleMs === 0 || finMs < idleMs) ? finMs : idleMs;
}

/**
 * Forwards bytes both ways between `client` and `backend` until both directions have ended, one
 * side fails, a timeout fires or `signal` aborts; always closes both sockets before resolving.
 * A FIN from either side is forwarded with `closeWrite()`, so half-closed conversations work.
 *
 * @param client The accepted client connection.
 * @param backend The connection to the backend.
 * @param options `bufferSize` @default 16384, `idleTimeoutMs` @default 60000, `finTimeoutMs`
 *   @default 30000, `signal`, shared `traffic` counters.
 * @returns Bytes each way, duration and how it ended.
 *
 * @example
 * ```ts ignore
 * import { proxy } from "@netlab/netlab/balancer";
 *
 * for await (const client of Deno.listen({ port: 8080 })) {
 *   const backend = await Deno.connect({ port: 8000 });
 *   proxy(client, backend).then((r) => console.log(r.end, r.up, r.down));
 * }
 * ```
 */
export async function proxy(
  client: ProxyConn,
  backend: ProxyConn,
  options: ProxyOptions = {},
): Promise<ProxyResult> {
  const session = new ProxySession(client, backend, options);
  const onAbort = () => session.finish("shutdown");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const size = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    const [upBuf, downBuf] = options.buffers ?? [new Uint8Array(size), new Uint8Array(size)];
    await Promise.all([session.pump("up", upBuf), session.pump("down", downBuf)]);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    session.closeBoth();
  }
  return session.result();
}

/** One proxied connection's state: both sockets, what ended it, the quiet timer. */
class ProxySession {
  readonly #client: ProxyConn;
  readonly #backend: ProxyConn;
  readonly #started = performance.now();
  readonly #idleMs: number;
  readonly #finMs: number;
  readonly #shared: Traffic | undefined;
  readonly #traffic: Traffic = { up: 0, down: 0 };
  /** A timeout, an error or shutdown: wins over a FIN. */
  #end: EndReason | undefined;
  /** Who sent the first FIN. */
  #finReason: EndReason | undefined;
  #error: unknown;
  #closed = false;
  #open = 2;
  #halfClosed = false;
  #clientEnded = false;
  #lastActive = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: ProxyConn, backend: ProxyConn, options: ProxyOptions) {
    this.#client = client;
    this.#backend = backend;
    this.#idleMs = options.idleTimeoutMs ?? 60_000;
    this.#finMs = options.finTimeoutMs ?? 0;
    this.#shared = options.traffic;
    this.#watch();
  }

  closeBoth(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    try {
      this.#client.close();
    } catch { /* already closed */ }
    try {
      this.#backend.close();
    } catch { /* already closed */ }
  }

  finish(reason: EndReason, err?: unknown): void {
    if (this.#end === undefined) {
      this.#end = reason;
      this.#error = err;
    }
    this.closeBoth();
  }

  /** Copies one direction until its FIN, then passes the FIN on. */
  async pump(dir: "up" | "down", buf: Uint8Array): Promise<void> {
    const [src, dst] = dir === "up" ? [this.#client, this.#backend] : [this.#backend, this.#client];
    const cap = buf.length;
    let reading = true;
    try {
      while (true) {
        const n = await src.read(buf);
        if (n === null) break;
        this.#lastActive = Date.now();
        reading = false;
        let off = 0;
        while (off < n) {
          off += await dst.write(off === 0 && n === cap ? buf : buf.subarray(off, n));
          this.#lastActive = Date.now(); // a slow but steady reader is not idle
        }
        reading = true;
        this.#traffic[dir] += n;
        if (this.#shared) this.#shared[dir] += n;
      }
    } catch (err) {
      return this.#failed(dir, reading, err);
    }
    await this.#passFin(dir, dst);
  }

  /** A read (`reading`) or write of direction `dir` threw `err`. */
  #failed(dir: "up" | "down", reading: boolean, err: unknown): void {
    if (this.#closed) return; // we closed the socket under our own pending read or write
    const side = (dir === "up") === reading ? "client" : "backend";
    // after its own FIN, a client that goes away has read all it wanted (a TLS client after
    // the whole body): it closed, it did not fail
    if (side === "client" && this.#clientEnded && isGone(err)) return this.finish("client closed");
    this.finish(`${side} error`, err);
  }

  /** Direction `dir` read its FIN: pass it on to `dst` (the second FIN ends it all). */
  async #passFin(dir: "up" | "down", dst: ProxyConn): Promise<void> {
    if (this.#closed) return;
    if (dir === "up") this.#clientEnded = true;
    this.#finReason ??= dir === "up" ? "client closed" : "backend closed";
    if (--this.#open === 0) return this.closeBoth();
    try {
      await dst.closeWrite();
    } catch (err) {
      if (this.#closed) return;
      // the other side is already gone (ENOTCONN): nothing more can flow either way
      if (!(err instanceof Deno.errors.NotConnected)) this.#error ??= err;
      return this.closeBoth();
    }
    if (this.#closed) return; // closed while the FIN was on its way: arm no timer
    // from now on the quiet limit is the FIN timeout, counted from this FIN
    this.#halfClosed = true;
    this.#lastActive = Date.now();
    clearTimeout(this.#timer);
    this.#watch();
  }

  /** Ends the connection once it has been quiet too long, else checks again when it could be. */
  #watch(): void {
    this.#timer = undefined;
    const ms = quietLimit(this.#idleMs, this.#finMs, this.#halfClosed);
    if (ms === 0) return;
    const quiet = Date.now() - this.#lastActive;
    if (quiet >= ms) this.finish(ms === this.#idleMs ? "idle timeout" : "fin timeout");
    else this.#timer = setTimeout(() => this.#watch(), ms - quiet);
  }

  result(): ProxyResult {
    const result: ProxyResult = {
      up: this.#traffic.up,
      down: this.#traffic.down,
      end: this.#end ?? this.#finReason ?? "shutdown",
      durationMs: performance.now() - this.#started,
    };
    if (this.#error !== undefined) result.error = this.#error;
    return result;
  }
}
