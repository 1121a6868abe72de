/**
 * One client connection on the epoll engine, as a state machine fed by the event loop: the
 * socket events of both sides and the forwarding between them, on `TunnelCore`'s state,
 * connect phase, deadlines and end (`_tunnel_core.ts`, where the rules are). Each direction is
 * a `Pipe` (`_pipe.ts`), which moves bytes and reports, while this file decides.
 *
 * @module
 */
import type { EndReason } from "../proxy.ts";
import { errnoError, isConnectFailure, type Wire } from "../../loop/mod.ts";
import { describeConnectError } from "../_connect.ts";
import { DST_FAILED, END, FULL, type Pipe, type PipeResult, SRC_FAILED } from "./_pipe.ts";
import { CONNECTING, FAILING, OPEN, TunnelCore } from "./_tunnel_core.ts";

const EPIPE = 32;
const ECONNRESET = 104;

/** A client connection and, once connected, its backend connection. */
export class Tunnel extends TunnelCore {
  // forwarding

  /** Client to backend, unless waiting: a pending buffer, the client's end, no new bytes. */
  protected pumpUp(): void {
    const up = this.up;
    if (this.state > OPEN || up.pending !== undefined || up.eof || !up.ready) return;
    this.afterUp(up.pump(this.loop, this.clientWire, this.upstream.wire!, this.host.buf));
  }

  /** Decides after the up direction moved: a byte that went means the connect succeeded. */
  protected afterUp(r: PipeResult): void {
    const up = this.up;
    if (r === DST_FAILED) return this.#backendSendFailed(up.errno);
    if (this.state === CONNECTING && up.sent > 0) this.connected();
    if (r === END) {
      if (this.state === OPEN) this.#finUp(); // else once connected
    } else if (r === SRC_FAILED) {
      // a client that fails before its backend answered: nothing to log
      if (this.state === CONNECTING) return this.close(false);
      this.#clientError(up.errno);
    } else if (r !== FULL && up.pending === undefined && up.eof && this.state === OPEN) {
      this.#finUp();
    }
  }

  /** A send to the backend failed: a failed connect while nothing went, else a failed backend. */
  #backendSendFailed(errno: number): void {
    if (this.state === CONNECTING && this.up.sent === 0) {
      if (isConnectFailure(errno)) {
        return this.retry(describeConnectError(errnoError(errno, "connect")));
      }
      const tls = this.upstream.tlsFailure();
      if (tls !== undefined) return this.retry(tls);
    }
    // a reset or a broken pipe: the connection was made, then lost
    if (this.state === CONNECTING) this.connected();
    this.#backendFailed(errno);
  }

  /** Backend to client, the same way. */
  #pumpDown(): void {
    const down = this.down;
    if (this.state !== OPEN || down.pending !== undefined || down.eof || !down.ready) return;
    const r = down.pump(this.loop, this.upstream.wire!, this.clientWire, this.host.buf);
    if (r === END) this.#finDown();
    else if (r === SRC_FAILED) this.#backendFailed(down.errno);
    else if (r === DST_FAILED) this.#clientError(down.errno);
  }

  #flushUp(): void {
    this.afterUp(this.up.flush(this.loop, this.upstream.wire!));
    if (this.up.pending === undefined) this.pumpUp();
  }

  #flushDown(): void {
    const down = this.down;
    const r = down.flush(this.loop, this.clientWire);
    if (r === DST_FAILED) return this.#clientError(down.errno);
    if (r === FULL) return;
    if (down.eof) this.#finDown();
    else this.#pumpDown();
  }

  /** The client's FIN, once everything before it reached the backend: pass it on. */
  #finUp(): void {
    this.#fin(this.up, this.down, this.upstream.wire!, "client closed");
  }

  #finDown(): void {
    this.#fin(this.down, this.up, this.clientWire, "backend closed");
  }

  /** Passes `pipe`'s FIN on to `dst` once its pending bytes went; the second FIN ends it all. */
  #fin(pipe: Pipe, other: Pipe, dst: Wire, reason: EndReason): void {
    if (pipe.pending !== undefined || pipe.shut) return;
    this.firstFin ??= reason;
    pipe.shut = true;
    if (other.shut) return this.end(this.firstFin, 0);
    // ENOTCONN: the peer is gone already, nothing more can flow either way
    if (dst.shutdownWrite() !== 0) return this.end(this.firstFin, 0);
    this.markAt = this.loop.now;
    this.arm();
  }

  /**
   * The backend failed (a reset, most often): no more of the client's bytes go anywhere; what
   * the backend sent before is forwarded, then the client is reset.
   */
  #backendFailed(errno: number): void {
    if (this.state !== OPEN) return;
    this.state = FAILING;
    this.failed = errno;
    this.up.pending = undefined;
    this.#drainDown();
  }

  /** While failing: forwards what the backend left readable, then ends with a reset. */
  #drainDown(): void {
    const { buf } = this.host;
    const r = this.down.drain(this.loop, this.upstream.wire!, this.clientWire, buf);
    if (r === FULL) return; // the rest when the client can take it
    this.end("backend error", this.failed);
  }

  /**
   * An error on the client's socket. After the client's own FIN it is how a client that has
   * read all it wanted goes away (a TLS client after the whole body): "client closed".
   */
  #clientError(errno: number): void {
    if (this.up.eof && (errno === EPIPE || errno === ECONNRESET)) {
      return this.end("client closed", 0);
    }
    this.end("client error", errno);
  }

  // client socket events

  onReadable(rdhup: boolean): void {
    if (rdhup) this.up.rdhup = true;
    this.up.ready = true;
    this.pumpUp();
  }

  onWritable(): void {
    if (this.state === FAILING) this.#drainDown();
    else if (this.down.pending !== undefined) this.#flushDown();
  }

  onHangup(): void {
    this.up.rdhup = this.up.ready = true;
    if (this.state === FAILING) return this.end("backend error", this.failed);
    if (this.state !== OPEN) return; // read once connected
    if (this.down.pending !== undefined) this.#flushDown();
    this.pumpUp();
    if (this.state !== OPEN) return;
    const errno = this.loop.socketError(this.client.fd);
    if (errno !== 0) this.#clientError(errno);
  }

  // backend socket events

  backendReadable(rdhup: boolean): void {
    // bytes from the backend: it is connected, whatever else this event says
    if (this.state === CONNECTING) this.backendWritable();
    if (rdhup) this.down.rdhup = true;
    this.down.ready = true;
    this.#pumpDown();
  }

  backendWritable(): void {
    if (this.state === CONNECTING) {
      this.connected();
      if (this.up.pending !== undefined) this.#flushUp();
      else if (this.up.eof) this.#finUp();
      else this.pumpUp();
    } else if (this.state === OPEN && this.up.pending !== undefined) this.#flushUp();
  }

  backendHangup(): void {
    if (this.state > OPEN) return;
    // read first: a send would consume it, and a reset would then read as a clean end
    const errno = this.loop.socketError(this.upstream.handle!.fd);
    if (this.state === CONNECTING) {
      if (errno !== 0 && isConnectFailure(errno) && this.up.sent === 0) {
        return this.retry(describeConnectError(errnoError(errno, "connect")));
      }
      const tls = this.upstream.tlsFailure();
      if (tls !== undefined && this.up.sent === 0) return this.retry(tls);
      this.connected(); // it connected, then hung up (an answer and a reset, often)
    }
    if (errno !== 0) return this.#backendFailed(errno);
    // both directions done, cleanly: what is left to read, then the FIN
    this.down.rdhup = this.down.ready = true;
    this.#pumpDown();
  }
}
