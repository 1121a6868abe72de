/**
 * One client connection of the http mode as a state machine (`St` of `_client.ts`): a request
 * head is read and parsed, sent with its body to the backend the strategy picks for this request
 * over a pooled connection (`_pool.ts`), and the response read back, re-headed and streamed to
 * the client; then the next request. Bodies stream both ways with backpressure: while one side
 * has bytes the other has not taken, the side that sends them is not read. This file holds the
 * socket events and the request's head and body as read; the way to a backend is
 * `_upstream.ts`'s, the response side `_exchange.ts`'s.
 *
 * @module
 */
import { type BackendConn, Up } from "./_backend_conn.ts";
import { Framing } from "./_response_head.ts";
import { BROKEN } from "./_body.ts";
import { INCOMPLETE } from "../../http1/_parser.ts";
import { LINUX as C } from "../../loop/mod.ts";
import { wantsUpgrade, writeRequestHead } from "./_rewrite.ts";
import { Exchange } from "./_exchange.ts";
import { St } from "./_client.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** A client connection and the request it is serving. */
export class HttpStream extends Exchange {
  // client socket events

  onReadable(rdhup: boolean): void {
    this.readable = true;
    if (rdhup) this.rdhup = true;
    this.pumpIn();
    this.host.settle();
  }

  onWritable(): void {
    // edge-triggered, EPOLLOUT comes with every edge; it is news only to bytes left pending
    if (this.out === null) return;
    this.drain();
    this.host.settle();
  }

  onHangup(): void {
    const errno = this.loop.socketError(this.fd);
    this.readable = true;
    if (errno === 0 && (this.state === St.Tunnel || this.state === St.Head)) this.pumpIn();
    else this.abort(errno === 0 ? "client hung up" : this.describe(errno));
    this.host.settle();
  }

  onDeadline(now: number): void {
    const { idleTimeoutMs } = this.host.http;
    switch (this.state) {
      case St.Head:
        if (this.carryLen > 0) this.refuse(408);
        else this.closeClient();
        break;
      case St.Queued:
        this.own(503, `waited ${this.host.http.queueTimeoutMs} ms for a connection`);
        break;
      case St.Forward:
      case St.Tunnel:
        if (idleTimeoutMs === 0) break;
        if (now - this.lastActive < idleTimeoutMs || !this.blockedOnClient()) {
          this.handle.setDeadline(Math.max(now, this.lastActive) + idleTimeoutMs);
        } else {
          this.abort(`client idle for ${idleTimeoutMs} ms`);
        }
    }
    this.host.settle();
  }

  resume(): void {
    if (this.state === St.Closed) return;
    this.pumpIn();
    const up = this.up;
    if (up !== null && up.readable) this.pumpDown();
  }

  /** Reads the client while its bytes have somewhere to go. */
  override pumpIn(): void {
    const buf = this.host.buf;
    while (this.readable || (this.state === St.Head && this.carryLen > 0 && !this.partial)) {
      const st = this.state;
      if (st === St.Head) {
        if (this.out !== null || this.closeAfter) return;
        if (this.carryLen > 0 && !this.partial) {
          this.#parse(this.carry!, 0, this.carryLen, true);
          continue;
        }
      } else if (st === St.Forward) {
        const up = this.up;
        if (this.reqBody.done || up === null || up.state !== Up.Busy) return;
        if (up.out !== null || this.held !== null) return;
      } else if (st === St.Tunnel) {
        if (this.eof || this.up === null || this.up.out !== null) return;
      } else return;
      const n = this.wire.recv(buf, buf.length);
      if (n > 0) {
        if (n < buf.length && !this.rdhup) this.readable = false;
        this.lastActive = this.loop.now;
        this.#input(buf, n);
      } else if (n === -C.EAGAIN) {
        this.readable = false;
      } else if (n === 0) {
        this.readable = false;
        this.eof = true;
        return this.#clientEof();
      } else {
        return this.abort(this.describe(-n));
      }
    }
  }

  #input(buf: Uint8Array, n: number): void {
    switch (this.state) {
      case St.Head:
        if (this.carryLen === 0) return this.#parse(buf, 0, n, false);
        if (!this.keep(buf, 0, n)) return this.refuse(431);
        this.partial = false;
        return this.#parse(this.carry!, 0, this.carryLen, true);
      case St.Forward:
        if (this.#bodyUp(buf, 0, n) < n) this.keep(buf, this.#bodyEnd, n);
        return;
      case St.Tunnel:
        this.sendUp(buf, 0, n);
    }
  }

  #bodyEnd = 0;

  /** Passes request body bytes on; returns how many were body (the rest is the next request). */
  #bodyUp(b: Uint8Array, s: number, e: number): number {
    const k = this.reqBody.take(b, s, e);
    if (k === BROKEN) {
      this.#bodyEnd = e;
      if (this.phase === 0 && this.status === 0) this.own(400, "broken chunked request body");
      else this.abort("broken chunked request body");
      return e - s;
    }
    this.#bodyEnd = s + k;
    this.sendUp(b, s, s + k);
    return k;
  }

  /** Parses a head at `src[s..e)`: the request starts, or waits for more, or is refused. */
  #parse(src: Uint8Array, s: number, e: number, fromCarry: boolean): void {
    const n = this.host.parser.parse(src, s, e);
    if (n === INCOMPLETE) {
      if (!fromCarry) {
        if (!this.keep(src, s, e)) return this.refuse(431);
        this.deadlineIn(this.host.http.requestTimeoutMs);
      }
      this.partial = true;
      return;
    }
    this.partial = false;
    if (n < 0) return this.refuse(-n);
    this.#request(src, s, n);
    if (this.closeAfter || this.is(St.Closed)) return;
    let at = s + n;
    if ((this.state === St.Forward || this.state === St.Queued) && !this.reqBody.done) {
      at += this.#bodyUp(src, at, e);
    }
    if (this.closeAfter || this.is(St.Closed)) return;
    if (fromCarry) this.consumed(at - s);
    else if (!this.keep(src, at, e)) this.refuse(431);
  }

  /** A request head has arrived at `src[s..s+n)`: rewrite it and send it on. */
  #request(src: Uint8Array, s: number, n: number): void {
    const { parser: p, reqFields: fields, writer } = this.host;
    this.begin(p.method, p.target, p.minor, p.keepAlive);
    if (p.method === "CONNECT") return this.own(501, "CONNECT is not supported");
    let line = s;
    while (src[line] === 13) line += 2; // empty lines before the request line
    fields.scan(src, src.indexOf(10, line) + 1, s + n);
    this.upgrade = wantsUpgrade(p, fields);
    const framing = p.chunked
      ? Framing.Chunked
      : p.contentLength > 0
      ? Framing.Length
      : Framing.None;
    this.reqBody.start(framing, p.contentLength);
    writeRequestHead(writer, p, fields, this.client, this.upgrade, this.host.http.forwarded);
    // the last request's copy is free again (its exchange is over): reused, not reallocated
    const head = writer.take(this.lastHead);
    this.lastHead = head;
    this.head = this.held = head;
    this.retryable = this.reqBody.done && !this.upgrade && IDEMPOTENT.has(p.method);
    this.state = St.Forward;
    this.dispatch();
  }

  /** The client's FIN was read. */
  #clientEof(): void {
    if (this.state === St.Head) return this.closeClient();
    if (this.state === St.Tunnel) return this.finUp();
    this.abort("client closed mid-request");
  }

  // backend connection events (the pool calls these)

  upReadable(): void {
    this.pumpDown();
  }

  upWritable(conn: BackendConn): void {
    const out = conn.out;
    if (out === null) return; // nothing was waiting for room (see onWritable)
    conn.out = null;
    if (this.sendUp(out, 0, out.length)) {
      if (conn.out === null && this.up === conn) {
        this.upFlushed(conn);
        this.pumpIn();
      }
    }
  }

  upHangup(conn: BackendConn): void {
    const errno = this.loop.socketError(conn.fd);
    conn.readable = true;
    this.pumpDown();
    if (this.up === conn) this.upBroken(conn, errno === 0 ? "hung up" : this.describe(errno));
  }

  upTimeout(conn: BackendConn): void {
    const ms = this.host.http.serverTimeoutMs;
    if (this.phase === 0 && !this.gotBytes) {
      this.observe(conn.pool, true);
      this.upDone(conn, false);
      this.own(504, `${conn.pool.backend.address}: no response in ${ms} ms`);
    } else {
      this.abort(`${conn.pool.backend.address}: silent for ${ms} ms mid-response`);
    }
  }
}
