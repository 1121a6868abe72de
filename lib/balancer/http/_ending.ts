/**
 * The ways a client connection's exchange ends: the proxy's own 502/503/504 answer instead of a
 * backend's, an abort (the client and the backend connection closed at once), or, once the answer
 * has gone, the next request on the same connection or the client's close. `Exchange`
 * (`_exchange.ts`) extends it with the response side.
 *
 * @module
 */
import { answer } from "./_answers.ts";
import { St } from "./_client.ts";
import { Upstream } from "./_upstream.ts";

/** How an exchange ends, on top of the request's way to the backend. */
export abstract class Ending extends Upstream {
  /** The exchange is over: close the client, or wait for its next request. */
  finish(close: boolean): void {
    this.head = this.held = null;
    if (close || this.eof) {
      this.closeAfter = true;
      if (this.out === null) this.closeNow();
      return;
    }
    this.state = St.Head;
    this.deadlineIn(this.host.http.idleTimeoutMs);
    // a pipelined request, or bytes (or the FIN) that came meanwhile; else the next event
    if (this.readable || this.carryLen > 0) this.host.kick(this);
  }

  /** The proxy's own answer (`status`, logged with `why`) instead of a backend's. */
  own(status: number, why: string): void {
    if (this.state === St.Queued && this.backend !== null) this.host.pool(this.backend).leave(this);
    if (this.up !== null) this.upDone(this.up, false);
    this.leave();
    this.status = status;
    const close = !this.keepAlive || !this.reqBody.done || this.host.draining;
    const bytes = answer(status, close);
    this.state = St.Forward;
    if (!this.sendDown(bytes, 0, bytes.length)) return this.abort("client gone");
    this.bytes = bytes.length;
    this.host.log.warn(this.line(why), this.record(why));
    if (this.backend !== null) this.host.metrics(this.backend).note(status, this.ms());
    this.finish(close);
  }

  /** Ends everything now: the client, and the backend connection (not reusable). */
  abort(why: string): void {
    if (this.state === St.Closed) return;
    const exchange = this.state !== St.Head;
    if (this.state === St.Queued && this.backend !== null) this.host.pool(this.backend).leave(this);
    if (this.up !== null) this.upDone(this.up, false);
    this.leave();
    if (exchange && why !== "" && this.state !== St.Tunnel) {
      this.host.log.warn(this.line(`aborted: ${why}`), this.record(why));
    }
    this.closeNow();
  }

  /** Closes the client connection now (its request no longer counted as in flight). */
  closeNow(): void {
    this.leave();
    this.closeClient();
  }
}
