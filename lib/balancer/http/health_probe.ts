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

/**
 * A probe for `HealthChecker`: sends `check` to the backend and reads the status line.
 *
 * @param expect the one status that is healthy; unset, any 2xx or 3xx
 * @param tls speak TLS (Deno's, verified against the system's store and `caCerts`)
 */
export function httpProbe(
  check: HealthRequest,
  expect: number | undefined,
  tls?: { caCerts: string[] },
): (backend: Backend, timeoutMs: number) => Promise<void> {
  return async (backend, timeoutMs) => {
    const tcp = await connectWithTimeout(backend.host, backend.port, timeoutMs);
    let conn: Deno.Conn = tcp;
    const timer = setTimeout(() => conn.close(), timeoutMs);
    try {
      // --backend-tls: the check speaks TLS too (Deno's, verified: the system's store and --cacert)
      if (tls !== undefined) {
        conn = await Deno.startTls(tcp, { hostname: backend.host, caCerts: tls.caCerts });
      }
      const host = formatAddress(backend.host, backend.port);
      await conn.write(enc.encode(
        `${check.method} ${check.path} HTTP/1.1\r\nHost: ${host}\r\n` +
          "User-Agent: netlab-health-check\r\nConnection: close\r\n\r\n",
      ));
      const buf = new Uint8Array(512);
      let line = "";
      while (!line.includes("\n")) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) {
          throw new Error(line === "" ? "no response" : "response cut short");
        }
        line += dec.decode(buf.subarray(0, n));
        if (line.length > 256 && !line.includes("\n")) break;
      }
      const status = Number(line.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? NaN);
      if (Number.isNaN(status)) throw new Error("not an HTTP response");
      const good = expect === undefined ? status >= 200 && status < 400 : status === expect;
      if (!good) throw new Error(`${check.method} ${check.path} answered ${status}`);
    } finally {
      clearTimeout(timer);
      try {
        conn.close();
      } catch { /* closed by the timer */ }
    }
  };
}
