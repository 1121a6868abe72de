/**
 * A request's way to a backend: the backend the strategy picks (another after a failed
 * connect, up to `--retries`), a connection from its pool or a place in its queue, and the
 * request's bytes sent on that connection, or held until it is ready. `Ending` (`_ending.ts`)
 * extends it with the ways an exchange ends, `Exchange` (`_exchange.ts`) with the response.
 *
 * @module
 */
import type { Backend } from "../backend.ts";
import { type BackendConn, type ConnUser, Up } from "./_backend_conn.ts";
import { FULL, QUEUED } from "./_pool.ts";
import { BodyFrame } from "./_body.ts";
import { St } from "./_client.ts";
import { Outcome, upCandidates } from "./_outcome.ts";
import { EPROTO } from "../../tls/wire.ts";

/** The request side of a client connection's exchange with a backend. */
export abstract class Upstream extends Outcome implements ConnUser {
  up: BackendConn | null = null;
  /** Bytes for the backend that wait for a connection. */
  held: Uint8Array | null = null;
  /** The request head as sent, for a retry. */
  head: Uint8Array | null = null;
  /** The last request head's copy, whose memory the next one reuses. */
  lastHead: Uint8Array | null = null;
  upgrade = false;
  retryable = false;
  readonly reqBody: BodyFrame = new BodyFrame();
  /** Backends that failed this request (a connect, or a response that never came). */
  tried: Backend[] | null = null;
  /** Failed connects for this request. */
  connects = 0;

  /** Answers the request with the proxy's own `status` (502, 503, 504, 501). */
  abstract own(status: number, why: string): void;
  /** The backend connection failed: retry, answer 502, or (mid-response) abort. */
  abstract upBroken(up: BackendConn, why: string): void;
  abstract upReadable(conn: BackendConn): void;
  abstract upWritable(conn: BackendConn): void;
  abstract upHangup(conn: BackendConn): void;
  abstract upTimeout(conn: BackendConn): void;

  /** A new request: what the last one sent forgotten. */
  beginUp(): void {
    this.upgrade = this.retryable = false;
    this.tried = null;
    this.connects = 0;
    this.backend = null;
    this.lastError = "no backend is up";
    this.reqBody.start(0, 0);
  }

  /** Picks a backend and gets a connection to it (or a place in its queue). */
  dispatch(): void {
    const { ctx } = this.host;
    while (this.state === St.Forward) {
      const backend = ctx.strategy.pick(upCandidates(ctx.backends, this.tried), this.hashKey);
      if (backend === undefined) return this.own(503, this.lastError);
      this.enter(backend);
      const got = this.host.pool(backend).acquire(this);
      if (typeof got !== "number") {
        this.up = got;
        if (got.state === Up.Busy) this.ready(got);
        return;
      }
      if (got === QUEUED) {
        this.state = St.Queued;
        this.deadlineIn(this.host.http.queueTimeoutMs);
        return;
      }
      this.leave();
      (this.tried ??= []).push(backend);
      if (got === FULL) {
        this.lastError = `${backend.address}: every connection busy and the queue full`;
        continue;
      }
      this.connectFailed(backend, -got);
      if (++this.connects > ctx.settings.retries) return this.own(503, this.lastError);
    }
  }

  // the pool's calls: a connection is ready, or its connect failed

  upReady(conn: BackendConn): void {
    this.ready(conn);
    this.host.kick(this);
  }

  upFailed(conn: BackendConn, errno: number): void {
    if (this.up !== null && this.up !== conn) return;
    const backend = conn.pool.backend;
    this.up = null;
    this.leave();
    (this.tried ??= []).push(backend);
    this.connectFailed(backend, errno, errno === EPROTO ? conn.tls?.error : undefined);
    if (++this.connects > this.host.ctx.settings.retries) this.own(503, this.lastError);
    else {
      this.state = St.Forward;
      this.dispatch();
    }
    this.host.kick(this);
  }

  /** A connection is ours: send what waits for it. */
  ready(conn: BackendConn): void {
    this.up = conn;
    if (this.state === St.Queued) this.state = St.Forward;
    conn.deadlineIn(this.host.http.serverTimeoutMs);
    this.deadlineIn(this.host.http.idleTimeoutMs);
    const held = this.held;
    this.held = null;
    if (held !== null) this.sendUp(held, 0, held.length);
  }

  /** Sends `b[s..e)` to the backend, or holds it until a connection is ready. */
  sendUp(b: Uint8Array, s: number, e: number): boolean {
    if (s === e) return true;
    const up = this.up;
    if (up === null || (up.state !== Up.Busy && up.state !== Up.Tunnel) || this.held !== null) {
      this.held = join(this.held, b, s, e);
      return true;
    }
    up.pool.backend.bytes.up += e - s;
    up.pool.metrics.bytesUp += e - s;
    if (up.out !== null) {
      up.out = join(up.out, b, s, e);
      return true;
    }
    const n = up.wire.send(s === 0 ? b : b.subarray(s), e - s);
    if (n < 0 && n !== -11 /* EAGAIN */) {
      this.upBroken(up, this.describe(-n));
      return false;
    }
    const sent = n < 0 ? 0 : n;
    if (sent < e - s) up.out = b.slice(s + sent, e);
    return true;
  }

  /** Gives the backend connection back to its pool, or closes it. */
  upDone(up: BackendConn, reusable: boolean): void {
    if (this.up === up) this.up = null;
    this.leave();
    if (reusable) up.pool.release(up);
    else up.pool.close(up);
  }
}

/** `a` (or nothing) followed by `b[s..e)`, as a new array. */
export function join(a: Uint8Array | null, b: Uint8Array, s: number, e: number): Uint8Array {
  if (a === null) return b.slice(s, e);
  const out = new Uint8Array(a.length + e - s);
  out.set(a);
  out.set(b.subarray(s, e), a.length);
  return out;
}
