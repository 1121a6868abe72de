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
  const started = performance.now();
  const size = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const finMs = options.finTimeoutMs ?? 0;
  const shared = options.traffic;
  const traffic: Traffic = { up: 0, down: 0 };
  let end: EndReason | undefined; // a timeout, an error or shutdown: wins over a FIN
  let finReason: EndReason | undefined; // who sent the first FIN
  let error: unknown;
  let closed = false;
  let open = 2;
  let halfClosed = false;
  let clientEnded = false;
  let lastActive = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const closeBoth = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    try {
      client.close();
    } catch { /* already closed */ }
    try {
      backend.close();
    } catch { /* already closed */ }
  };
  const finish = (reason: EndReason, err?: unknown) => {
    if (end === undefined) {
      end = reason;
      error = err;
    }
    closeBoth();
  };

  const pump = async (
    src: ProxyConn,
    dst: ProxyConn,
    dir: "up" | "down",
    buf: Uint8Array,
  ): Promise<void> => {
    const cap = buf.length;
    let reading = true;
    try {
      while (true) {
        const n = await src.read(buf);
        if (n === null) break;
        lastActive = Date.now();
        reading = false;
        let off = 0;
        while (off < n) {
          off += await dst.write(off === 0 && n === cap ? buf : buf.subarray(off, n));
          lastActive = Date.now(); // a slow but steady reader is not idle
        }
        reading = true;
        traffic[dir] += n;
        if (shared) shared[dir] += n;
      }
    } catch (err) {
      if (closed) return; // we closed the socket under our own pending read or write
      const srcSide = dir === "up" ? "client" : "backend";
      const dstSide = dir === "up" ? "backend" : "client";
      const side = reading ? srcSide : dstSide;
      // after its own FIN, a client that goes away has read all it wanted (a TLS client after
      // the whole body): it closed, it did not fail
      if (side === "client" && clientEnded && isGone(err)) return finish("client closed");
      finish(`${side} error`, err);
      return;
    }
    if (closed) return;
    if (dir === "up") clientEnded = true;
    finReason ??= dir === "up" ? "client closed" : "backend closed";
    if (--open === 0) return closeBoth();
    try {
      await dst.closeWrite();
    } catch (err) {
      if (closed) return;
      // the other side is already gone (ENOTCONN): nothing more can flow either way
      if (!(err instanceof Deno.errors.NotConnected)) error ??= err;
      return closeBoth();
    }
    if (closed) return; // closed while the FIN was on its way: arm no timer
    // from now on the quiet limit is the FIN timeout, counted from this FIN
    halfClosed = true;
    lastActive = Date.now();
    clearTimeout(timer);
    watch();
  };

  /** The quiet time that ends the connection now (0: none), and the reason it gives. */
  const limit = (): [number, EndReason] => {
    const ms = quietLimit(idleMs, finMs, halfClosed);
    return [ms, ms === idleMs ? "idle timeout" : "fin timeout"];
  };
  const watch = () => {
    timer = undefined;
    const [ms, reason] = limit();
    if (ms === 0) return;
    const quiet = Date.now() - lastActive;
    if (quiet >= ms) finish(reason);
    else timer = setTimeout(watch, ms - quiet);
  };
  watch();
  const onAbort = () => finish("shutdown");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [upBuf, downBuf] = options.buffers ?? [new Uint8Array(size), new Uint8Array(size)];
    await Promise.all([pump(client, backend, "up", upBuf), pump(backend, client, "down", downBuf)]);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    closeBoth();
  }
  const result: ProxyResult = {
    up: traffic.up,
    down: traffic.down,
    end: end ?? finReason ?? "shutdown",
    durationMs: performance.now() - started,
  };
  if (error !== undefined) result.error = error;
  return result;
}
