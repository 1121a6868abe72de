/**
 * The raw engine: HTTP/1.1 written straight to sockets: lib/loop's (OpenSSL through lib/tls for
 * https) where they run, `Deno.connect` (`Deno.startTls`) elsewhere.
 * The request bytes are built once, each client reuses one read buffer and one parser, and the wire
 * is counted byte for byte, with ab's timestamps (connect, write done, first byte, done).
 *
 * @module
 */
import { HttpParseError, ResponseParser } from "../_http_parser.ts";
import {
  classifyError,
  type Engine,
  type EngineClient,
  type EngineTraits,
  Outcome,
  type RequestSpec,
  type Sample,
} from "../engine.ts";
import {
  ConnectGate,
  CONNECTS_AT_ONCE,
  type Dialer,
  makeDialer,
  type RawConn,
  unixDialer,
} from "./_dial.ts";
import { buildRequestBytes, TableBytes } from "./_request_bytes.ts";

export { buildRequestBytes };

type Conn = RawConn;

/**
 * Each client's read buffer starts small (wrk reads 8 KiB at a time) and doubles, up to 64 KiB,
 * while reads fill it: -c 1000 no longer costs 64 MB of buffers up front. Deno's reads fill their
 * buffer off the JS thread, so clients cannot share one.
 */
const MIN_READ_BUFFER = 8 * 1024;
const MAX_READ_BUFFER = 64 * 1024;

/** Creates the raw engine for `spec`. */
export function rawEngine(spec: RequestSpec): Engine {
  const bytes = buildRequestBytes(spec);
  const head = spec.method.toUpperCase() === "HEAD";
  const tls = spec.url.protocol === "https:";
  const hostname = spec.url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(spec.url.port) || (tls ? 443 : 80);
  const dialer = spec.unixSocket
    ? unixDialer(spec.unixSocket)
    : makeDialer(hostname, port, tls, spec.sockets ?? "auto", spec.caCerts, spec.insecure ?? false);
  const table = spec.table ? new TableBytes(spec, spec.table) : null;
  const traits: EngineTraits = {
    exactWireBytes: true,
    connectTimes: true,
    fairTurns: dialer.name === "epoll",
  };
  const gate = new ConnectGate(CONNECTS_AT_ONCE);
  return {
    name: "raw",
    traits,
    requestBytes: bytes.byteLength,
    client: () => new RawClient(bytes, head, tls, dialer, gate, table),
    close: () => dialer.close(),
  };
}

class RawClient implements EngineClient {
  #conn: Conn | null = null;
  #buf = new Uint8Array(MIN_READ_BUFFER);
  #parser = new ResponseParser();
  #abortReason: "timeout" | "stop" | null = null;
  #connecting: AbortController | null = null;
  #request: Uint8Array;
  #head: boolean;
  #tls: boolean;
  #dialer: Dialer;
  #gate: ConnectGate;
  #gated = false;
  #table: TableBytes | null;

  constructor(
    request: Uint8Array,
    head: boolean,
    tls: boolean,
    dialer: Dialer,
    gate: ConnectGate,
    table: TableBytes | null,
  ) {
    this.#table = table;
    this.#gate = gate;
    this.#request = request;
    this.#head = head;
    this.#tls = tls;
    this.#dialer = dialer;
  }

  async request(s: Sample): Promise<void> {
    this.#abortReason = null;
    // The watchdog reads s.start: a client waiting to connect must not look idle for ages.
    s.start = performance.now();
    this.#gated = false;
    if (this.#conn === null) {
      if (!this.#gate.tryAcquire()) await this.#gate.acquire();
      this.#gated = true;
    }
    try {
      await this.#request1(s);
    } finally {
      this.#ungate();
    }
  }

  #ungate(): void {
    if (!this.#gated) return;
    this.#gated = false;
    this.#gate.release();
  }

  async #request1(s: Sample): Promise<void> {
    s.start = performance.now();
    s.wireBytes = 0;
    s.bodyBytes = 0;
    s.status = 0;
    s.keepAlive = false;
    s.connectMs = 0;
    s.handshakeMs = -1;
    s.cause = "";
    const p = this.#parser;
    p.captureServer = s.wantServer;
    const table = this.#table;
    const request = table === null ? this.#request : table.get(s.line, s.bodyIndex);
    const head = table === null ? this.#head : table.head[s.line]!;
    s.sentBytes = request.byteLength;
    // A kept-alive connection the server closed while idle is not a failure: retry once, as ab does.
    for (let attempt = 0;; attempt++) {
      const reused = this.#conn !== null;
      let stage = Outcome.Connect as Outcome;
      try {
        if (this.#conn === null) {
          // Stopped while waiting for a connect slot: give the slot on at once, connect nothing.
          if (this.#abortReason !== null) throw new Deno.errors.Interrupted("aborted");
          const t = performance.now();
          try {
            this.#conn = await this.#connect();
          } finally {
            this.#ungate();
          }
          if (this.#abortReason !== null) throw new Deno.errors.Interrupted("aborted");
          // Handshake now, so that a certificate problem is a Connect failure, not a Receive one;
          // with the conn already held, a timeout or stop can close a handshake that never ends.
          // Connect is TCP and TLS together, as in ab.
          if (this.#tls) await this.#handshake(this.#conn, s);
          s.connectMs = performance.now() - t;
        }
        stage = Outcome.Receive;
        const conn = this.#conn;
        // Before the write: a write that fails on a reused connection must find the parser empty
        // (so it retries) and must not report the previous response's bytes.
        p.reset(head);
        await writeAll(conn, request);
        s.writeDone = performance.now();
        let first = true;
        while (true) {
          const buf = this.#buf;
          const n = await conn.read(buf);
          if (n === null) {
            if (p.eof()) break;
            if (p.empty && reused && attempt === 0 && this.#abortReason === null) {
              throw new IdleClosed();
            }
            s.wireBytes = p.wireBytes;
            s.bodyBytes = p.bodyBytes;
            this.#fail(
              s,
              Outcome.Receive,
              p.empty
                ? "connection closed before any response"
                : "connection closed before the response was complete",
            );
            return;
          }
          if (first) {
            s.firstByte = performance.now();
            first = false;
          }
          p.feed(buf, 0, n);
          // A read that filled the buffer: the responses are large, so read more at a time.
          if (n === buf.byteLength && n < MAX_READ_BUFFER) this.#buf = new Uint8Array(n * 2);
          if (p.done) break;
        }
        s.end = performance.now();
        s.status = p.status;
        s.wireBytes = p.wireBytes;
        s.bodyBytes = p.bodyBytes;
        s.keepAlive = p.keepAlive;
        if (s.wantServer) s.server = p.server ?? "";
        s.outcome = Outcome.Complete;
        if (!p.keepAlive) this.close();
        return;
      } catch (err) {
        const idle = err instanceof IdleClosed ||
          (reused && attempt === 0 && p.empty && this.#abortReason === null &&
            (err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe));
        if (idle) {
          this.close();
          continue;
        }
        s.wireBytes = p.wireBytes;
        s.bodyBytes = p.bodyBytes;
        if (this.#abortReason !== null) {
          this.#fail(
            s,
            this.#abortReason === "timeout" ? Outcome.Exception : Outcome.Aborted,
            "timeout",
          );
        } else if (err instanceof HttpParseError) {
          this.#fail(s, Outcome.Exception, `invalid response: ${err.message}`);
        } else {
          const c = classifyError(err);
          // Whatever goes wrong while connecting (refused, TLS handshake) is a Connect failure; on
          // an established connection, network errors are Receive failures.
          const outcome = stage === Outcome.Connect
            ? Outcome.Connect
            : c.outcome === Outcome.Exception
            ? Outcome.Exception
            : Outcome.Receive;
          if (!(err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted)) {
            this.#fail(s, outcome, c.cause);
          } else {
            this.#fail(s, Outcome.Receive, "connection closed");
          }
        }
        return;
      }
    }
  }

  /** Completes the TLS handshake of a new connection and notes it in `s`. */
  async #handshake(conn: Conn, s: Sample): Promise<void> {
    const t = performance.now();
    await conn.handshake?.();
    s.handshakeMs = performance.now() - t;
    s.resumed = conn.resumed === undefined ? -1 : conn.resumed ? 1 : 0;
    s.protocol = conn.protocol ?? "";
    s.cipher = conn.cipher ?? "";
  }

  #fail(s: Sample, outcome: Outcome, cause: string): void {
    s.outcome = outcome;
    s.cause = cause;
    s.end = performance.now();
    this.close();
  }

  async #connect(): Promise<Conn> {
    const connecting = new AbortController();
    this.#connecting = connecting;
    try {
      return await this.#dialer.dial(connecting.signal);
    } finally {
      this.#connecting = null;
    }
  }

  abort(reason: "timeout" | "stop"): void {
    this.#abortReason = reason;
    this.#connecting?.abort();
    this.close();
  }

  close(): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn === null) return;
    try {
      conn.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  }
}

class IdleClosed extends Error {}

async function writeAll(conn: Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
  }
}
