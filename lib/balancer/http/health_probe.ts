/**
 * The http mode's active health check: one request (`--health-check 'GET /health'`) on a new
 * connection, healthy when the status is 2xx or 3xx, or the one `--health-expect` names.
 * Not a hot path: it runs once per backend per interval, with promises.
 *
 * @module
 */
import { connectWithTimeout } from "../_connect.ts";
import type { Backend } from "../backend.ts";
import { formatAddress } from "../backend_spec.ts";
import { encodeSockAddr, type EventLoop } from "../../loop/mod.ts";
import { AsyncTlsSocket } from "../../tls/async_socket.ts";
import type { TlsClientContext } from "../../tls/client.ts";

/** A parsed `--health-check` value. */
export interface HealthRequest {
  method: string;
  path: string;
}

/**
 * Parses `METHOD /path` (or just `/path`, meaning GET).
 *
 * @throws {TypeError} for anything else
 */
export function parseHealthCheck(spec: string): HealthRequest {
  const parts = spec.trim().split(/\s+/);
  const [method, path] = parts.length === 1 ? ["GET", parts[0]!] : parts;
  if (
    parts.length > 2 || !/^[A-Z]+$/.test(method ?? "") || !/^\/[\x21-\x7e]*$/.test(path ?? "")
  ) {
    throw new TypeError(
      `Invalid health check "${spec}": expected a method and a path, e.g. "GET /health"`,
    );
  }
  return { method: method!, path: path! };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Where a TLS health check runs: the balancer's loop and its backends' TLS context. */
export interface ProbeTls {
  loop: EventLoop;
  ctx: TlsClientContext;
}

/** A connection the probe talks over: a `Deno.Conn` or an `AsyncTlsSocket`. */
type ProbeConn = Pick<Deno.Conn, "read" | "write" | "close">;

/**
 * A probe for `HealthChecker`: sends `check` to the backend and reads the status line.
 *
 * @param expect the one status that is healthy; unset, any 2xx or 3xx
 * @param tls speak TLS (`--backend-tls`) on what this returns when a check starts
 */
export function httpProbe(
  check: HealthRequest,
  expect: number | undefined,
  tls?: () => ProbeTls,
): (backend: Backend, timeoutMs: number) => Promise<void> {
  const host = (b: Backend) => formatAddress(b.host, b.port);
  const request = (b: Backend) =>
    enc.encode(
      `${check.method} ${check.path} HTTP/1.1\r\nHost: ${host(b)}\r\n` +
        "User-Agent: netlab-health-check\r\nConnection: close\r\n\r\n",
    );
  return async (backend, timeoutMs) => {
    const on = tls?.();
    on?.loop.hold(); // each await below is one round of the loop, not its 20 ms slice
    const deadline = new AbortController();
    let conn: ProbeConn | undefined;
    const close = () => {
      try {
        conn?.close();
      } catch { /* closed already */ }
    };
    const timer = setTimeout(() => {
      deadline.abort();
      close();
    }, timeoutMs);
    try {
      if (on === undefined) conn = await connectWithTimeout(backend.host, backend.port, timeoutMs);
      else {
        const to = encodeSockAddr(backend.host, backend.port);
        const sock = await AsyncTlsSocket.connect(
          on.loop,
          on.ctx,
          to,
          backend.host,
          deadline.signal,
        );
        conn = sock;
        await sock.handshake();
      }
      for (let at = 0, bytes = request(backend); at < bytes.length;) {
        at += await conn.write(bytes.subarray(at));
      }
      const status = await statusOf(conn);
      const good = expect === undefined ? status >= 200 && status < 400 : status === expect;
      if (!good) throw new Error(`${check.method} ${check.path} answered ${status}`);
    } catch (err) {
      if (deadline.signal.aborted) {
        throw new Error(`no answer within ${timeoutMs} ms`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      close();
      on?.loop.release();
    }
  };
}

/** Reads the status line: the status code. */
async function statusOf(conn: ProbeConn): Promise<number> {
  const buf = new Uint8Array(512);
  let line = "";
  while (!line.includes("\n")) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) throw new Error(line === "" ? "no response" : "response cut short");
    line += dec.decode(buf.subarray(0, n));
    if (line.length > 256 && !line.includes("\n")) break;
  }
  const status = Number(line.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? NaN);
  if (Number.isNaN(status)) throw new Error("not an HTTP response");
  return status;
}
