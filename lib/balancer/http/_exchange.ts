/**
 * The exchange of one request on a client connection, response side: the response head read
 * from the backend connection (in parts if need be), re-headed and sent on, its body streamed
 * until its framing says it ended, then the connection given back to its pool; or a retry on
 * another backend when the backend failed before answering. The request's way to the backend is
 * `Upstream`'s (`_upstream.ts`), the proxy's own answer, the abort and the next request
 * `Ending`'s (`_ending.ts`); `HttpStream` (`_stream.ts`) adds the socket events and the request
 * head.
 *
 * @module
 */
import { type BackendConn, Up } from "./_backend_conn.ts";
import { INCOMPLETE, INVALID } from "./_response_head.ts";
import { BodyFrame, BROKEN } from "./_body.ts";
import { writeResponseHead } from "./_rewrite.ts";
import { St } from "./_client.ts";
import { join } from "./_upstream.ts";
import { Ending } from "./_ending.ts";

const AWAIT = 0, BODY = 1;
/** A client connection's exchange with a backend. */
export abstract class Exchange extends Ending {
  readonly resBody: BodyFrame = new BodyFrame();
  phase = AWAIT;
  /** A response byte has arrived: no retry any more. */
  gotBytes = false;
  #closeClient = false;
  #reusable = false;
  #resent = false;
  /** Tunnel: the backend's FIN came (it goes to the client once `out` is sent). */
  #finDown = false;
  #finUp = false;

  abstract pumpIn(): void;

  /** A new request: its line, and everything of the last one forgotten. */
  begin(method: string, target: string, minor: number, keepAlive: boolean): void {
    this.started = this.loop.now;
    this.method = method;
    this.target = target;
    this.minor = minor;
    this.keepAlive = keepAlive;
    this.beginUp();
    this.gotBytes = this.#resent = false;
    this.status = this.bytes = 0;
    this.phase = AWAIT;
    this.resBody.start(0, 0);
  }

  /** The client is what holds the exchange up (its deadline counts). */
  blockedOnClient(): boolean {
    return this.state === St.Tunnel || this.out !== null || !this.reqBody.done;
  }

  /** The client took what was pending: go on. */
  drain(): void {
    if (!this.flushDown()) return this.abort("client gone");
    if (this.out !== null) return;
    if (this.closeAfter) return this.closeNow();
    if (this.state === St.Tunnel && this.#finDown) this.wire.shutdownWrite();
    if (this.state === St.Forward || this.state === St.Tunnel) this.pumpDown();
    else if (this.state === St.Head) this.host.kick(this);
  }

  /** Reads the backend while the client takes what it sends. */
  pumpDown(): void {
    const up = this.up;
    if (up === null) return;
    const buf = this.host.buf;
    while (up.readable && this.up === up && this.out === null) {
      const n = up.wire.recv(buf, buf.length);
      if (n > 0) {
        // drained, unless the FIN came with this edge: then read on to the 0 that ends it
        if (n < buf.length && !up.rdhup) up.readable = false;
        this.#fromBackend(up, buf, 0, n);
      } else if (n === -11 /* EAGAIN */) {
        up.readable = false;
      } else if (n === 0) {
        up.readable = false;
        this.#backendEof(up);
      } else {
        up.readable = false;
        this.upBroken(up, this.describe(-n));
      }
    }
  }

  #fromBackend(up: BackendConn, b: Uint8Array, s: number, e: number): void {
    if (this.state === St.Tunnel) {
      this.lastActive = this.loop.now;
      if (!this.sendDown(b, s, e)) this.abort("client gone");
      return;
    }
    this.gotBytes = true;
    up.deadlineIn(this.host.http.serverTimeoutMs);
    while (s < e && this.up === up) {
      if (this.is(St.Tunnel)) {
        if (!this.sendDown(b, s, e)) this.abort("client gone");
        return;
      }
      if (this.phase === AWAIT) {
        s = this.#head(up, b, s, e);
        if (s < 0) return;
        continue;
      }
      const k = this.resBody.take(b, s, e);
      if (k === BROKEN) return this.abort(`${up.pool.backend.address}: broken chunked response`);
      if (!this.sendDown(b, s, s + k)) return this.abort("client gone");
      this.bytes += k;
      s += k;
      if (this.resBody.done) return this.#responseDone(up, s === e);
    }
  }

  /** Reads a response head from `b[s..e)`; returns where its body starts, or -1. */
  #head(up: BackendConn, b: Uint8Array, s: number, e: number): number {
    if (up.carry !== null) {
      const all = join(up.carry, b, s, e);
      up.carry = null;
      this.#fromBackend(up, all, 0, all.length);
      return -1;
    }
    const res = this.host.res;
    const n = res.parse(b, s, e, this.method === "HEAD");
    if (n === INCOMPLETE) {
      up.carry = b.slice(s, e);
      return -1;
    }
    if (n === INVALID) return this.#badResponse(up, "sent an invalid response head");
    if (res.status === 101) return this.#switched(up, s + n);
    if (res.status >= 200) return this.#final(up, b, s, n, e);
    if (this.minor === 1) {
      const w = this.host.writer;
      writeResponseHead(w, res, false, 1);
      if (!this.sendDown(w.buf, 0, w.len)) return this.abort("client gone"), -1;
    }
    return s + n; // a 1xx: the final answer follows
  }

  /** A 101 (the head parsed, `at` past it): the connection becomes a tunnel both ways. */
  #switched(up: BackendConn, at: number): number {
    if (!this.upgrade) return this.#badResponse(up, "switched protocols unasked");
    const w = this.host.writer;
    writeResponseHead(w, this.host.res, false, this.minor);
    this.status = 101;
    this.state = St.Tunnel;
    up.state = Up.Tunnel;
    up.handle!.clearDeadline();
    if (!this.sendDown(w.buf, 0, w.len)) return this.abort("client gone"), -1;
    this.logDone();
    if (this.carryLen > 0) {
      this.sendUp(this.carry!, 0, this.carryLen);
      this.consumed(this.carryLen);
    }
    return at;
  }

  /** The final head (`n` bytes at `s`): sent on with the body bytes that came with it. */
  #final(up: BackendConn, b: Uint8Array, s: number, n: number, e: number): number {
    const res = this.host.res;
    this.status = res.status;
    this.#closeClient = !this.keepAlive || res.framing === 3 || !this.reqBody.done ||
      this.host.draining;
    this.#reusable = res.keepAlive;
    this.phase = BODY;
    this.resBody.start(res.framing, res.contentLength);
    // the body bytes that came with the head leave with it: one send, not two
    const at = s + n;
    const k = this.resBody.take(b, at, e);
    if (k === BROKEN) return this.abort(`${up.pool.backend.address}: broken chunked response`), -1;
    if (res.minor === 1 && this.minor === 1 && !this.#closeClient && !res.fields.hop) {
      // HTTP/1.1 to a 1.1 client that stays, no hop-by-hop field (so not chunked, not closing):
      // the head as written would be the head as it came, byte for byte; it goes from the read
      // buffer with its body, copied nowhere
      up.pool.metrics.bytesDown += n;
      if (!this.sendDown(b, s, at + k)) return this.abort("client gone"), -1;
    } else {
      const w = this.host.writer;
      writeResponseHead(w, res, this.#closeClient, this.minor);
      up.pool.metrics.bytesDown += w.len;
      w.copy(b, at, at + k);
      if (!this.sendDown(w.buf, 0, w.len)) return this.abort("client gone"), -1;
    }
    this.bytes += k;
    if (this.resBody.done) return this.#responseDone(up, at + k === e), -1;
    return at + k;
  }

  #badResponse(up: BackendConn, why: string): number {
    this.observe(up.pool, true);
    const backend = up.pool.backend;
    this.upDone(up, false);
    backend.failures++;
    this.own(502, `${backend.address} ${why}`);
    return -1;
  }

  #responseDone(up: BackendConn, clean: boolean): void {
    const reusable = clean && this.#reusable && this.reqBody.done && up.out === null &&
      this.held === null && !this.host.draining;
    up.pool.metrics.bytesDown += this.bytes;
    up.pool.backend.bytes.down += this.bytes;
    up.pool.backend.total++;
    this.observe(up.pool, this.status >= 500);
    this.upDone(up, reusable);
    this.logDone();
    this.finish(this.#closeClient);
  }

  #backendEof(up: BackendConn): void {
    if (this.state === St.Tunnel) {
      this.#finDown = true;
      if (this.out === null) this.wire.shutdownWrite();
      if (this.#finUp) this.abort("");
      return;
    }
    if (this.phase === BODY && this.resBody.framing === 3 /* Close */) {
      this.#closeClient = true;
      return this.#responseDone(up, false);
    }
    this.upBroken(up, "closed the connection");
  }

  upBroken(up: BackendConn, why: string): void {
    if (this.state === St.Tunnel || this.phase !== AWAIT) {
      return this.abort(`${up.pool.backend.address} ${why} mid-response`);
    }
    const backend = up.pool.backend;
    const stale = up.served > 0;
    this.upDone(up, false);
    this.lastError = `${backend.address} ${why}`;
    const retry = this.retryable && !this.gotBytes && this.head !== null;
    if (retry && (stale || !this.#resent)) {
      // nothing came back and the request is whole: once on another backend, and always anew
      // when a pooled connection was closed by the backend just as it was reused
      if (!stale) {
        this.#resent = true;
        (this.tried ??= []).push(backend);
      }
      this.held = this.head;
      this.dispatch();
      return;
    }
    backend.failures++;
    this.observe(up.pool, true);
    this.own(502, this.lastError);
  }

  /** Tunnel: what the client sent before its FIN has left, so the FIN follows. */
  upFlushed(up: BackendConn): void {
    if (this.#finUp && this.state === St.Tunnel && up.out === null) up.wire.shutdownWrite();
  }

  /** Tunnel: the client's FIN came. */
  finUp(): void {
    this.#finUp = true;
    const up = this.up;
    if (up !== null && up.out === null) up.wire.shutdownWrite();
    if (this.#finDown) this.abort("");
  }
}
