/**
 * The raw engine's client on Deno's sockets (`Deno.connect`, `Deno.startTls`, a Unix socket):
 * where lib/loop cannot run. One request at a time, awaited step by step; its failures and
 * causes are the loop client's.
 *
 * @module
 */
import { HttpParseError } from "../_http_parser.ts";
import { type EngineClient, Outcome, type Sample } from "../engine.ts";
import { ClientBase, ioFailure } from "./_client_base.ts";
import type { ConnDialer, RawConn } from "./_dial.ts";

/** The connection closed before the response began, on a kept-alive connection. */
class IdleClosed extends Error {}

/** One connection slot on Deno's sockets. */
export class ConnClient extends ClientBase implements EngineClient {
  #conn: RawConn | null = null;
  #connecting: AbortController | null = null;
  #dialer: ConnDialer;

  constructor(dialer: ConnDialer, ...base: ConstructorParameters<typeof ClientBase>) {
    super(...base);
    this.#dialer = dialer;
  }

  async request(s: Sample): Promise<void> {
    this.abortReason = null;
    s.start = performance.now();
    if (this.#conn === null && !(await this.enterGate(s))) return;
    try {
      this.begin(s);
      await this.#exchange(s);
    } finally {
      this.ungate();
      this.sample = null;
    }
  }

  /** Sends the request and reads its response, on a new connection when it has none. */
  async #exchange(s: Sample): Promise<void> {
    // A kept-alive connection the server closed while idle is not a failure: retry once, as ab does.
    for (;; this.attempt++) {
      this.reused = this.#conn !== null;
      let connecting = true;
      try {
        if (this.#conn === null) this.#conn = await this.#open(s);
        connecting = false;
        // Before the write: a write that fails on a reused connection must find the parser empty
        // (so it retries) and must not report the previous response's bytes.
        this.parser.reset(this.head);
        await writeAll(this.#conn, this.bytes);
        s.writeDone = performance.now();
        if (await this.#receive(this.#conn, s)) this.finishComplete(s);
        if (!this.parser.keepAlive || s.outcome !== Outcome.Complete) this.close();
        return;
      } catch (err) {
        if (err instanceof IdleClosed || this.#idle(err)) {
          this.close();
          continue;
        }
        this.#failWith(s, err, connecting);
        return;
      }
    }
  }

  /** Connects (TCP, then TLS): Connect is TCP and TLS together, as in ab. */
  async #open(s: Sample): Promise<RawConn> {
    // Stopped while waiting for a connect slot: give the slot on at once, connect nothing.
    if (this.abortReason !== null) throw new Deno.errors.Interrupted("aborted");
    const t = performance.now();
    let conn: RawConn;
    try {
      conn = await this.#connect();
    } finally {
      this.ungate();
    }
    this.#conn = conn;
    if (this.abortReason !== null) throw new Deno.errors.Interrupted("aborted");
    // Handshake now, so that a certificate problem is a Connect failure, not a Receive one;
    // with the conn already held, a timeout or stop can close a handshake that never ends.
    if (conn.handshake !== undefined) {
      const h = performance.now();
      await conn.handshake();
      s.handshakeMs = performance.now() - h;
      this.noteHandshake(s, conn);
    }
    s.connectMs = performance.now() - t;
    return conn;
  }

  /** Reads the response: true once it is whole, false when it failed (`s` says why). */
  async #receive(conn: RawConn, s: Sample): Promise<boolean> {
    const p = this.parser;
    let first = true;
    for (;;) {
      const buf = this.buf;
      const n = await conn.read(buf);
      if (n === null) {
        if (p.eof()) return true;
        if (p.empty && this.idleRetry()) throw new IdleClosed();
        this.fail(
          s,
          Outcome.Receive,
          p.empty
            ? "connection closed before any response"
            : "connection closed before the response was complete",
        );
        return false;
      }
      if (first) {
        s.firstByte = performance.now();
        first = false;
      }
      p.feed(buf, 0, n);
      this.grow(n);
      if (p.done) return true;
    }
  }

  /** A reset or broken pipe on a reused connection before any response: closed while idle. */
  #idle(err: unknown): boolean {
    return this.parser.empty && this.idleRetry() &&
      (err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe);
  }

  #failWith(s: Sample, err: unknown, connecting: boolean): void {
    if (this.abortReason !== null) {
      this.fail(s, ...this.abortOutcome(this.abortReason));
    } else if (err instanceof HttpParseError) {
      this.fail(s, Outcome.Exception, `invalid response: ${err.message}`);
    } else if (
      connecting && !(err instanceof Deno.errors.BadResource) &&
      !(err instanceof Deno.errors.Interrupted)
    ) {
      // Whatever goes wrong while connecting (refused, TLS handshake) is a Connect failure
      this.fail(s, Outcome.Connect, this.connectCause(err));
    } else {
      const c = ioFailure(err);
      this.fail(s, c.outcome, c.cause);
    }
  }

  async #connect(): Promise<RawConn> {
    const connecting = new AbortController();
    this.#connecting = connecting;
    try {
      return await this.#dialer.dial(connecting.signal);
    } finally {
      this.#connecting = null;
    }
  }

  abort(reason: "timeout" | "stop"): void {
    this.abortReason = reason;
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

async function writeAll(conn: RawConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
  }
}
