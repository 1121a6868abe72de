/**
 * The client half of an http-mode connection: its socket, the bytes the client has not taken
 * yet, the bytes it sent that are not parsed yet (a partial head, or pipelined requests), its
 * one state and its deadline. `Outcome` (`_outcome.ts`) extends it with the request's record.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Backend } from "../backend.ts";
import type { SessionContext } from "../engines/frontend.ts";
import {
  type DeadlineOwner,
  type EventLoop,
  FdWire,
  Handle,
  LINUX as C,
  type Wire,
} from "../../loop/mod.ts";
import type { RequestParser } from "../../http1/_parser.ts";
import type { Fields } from "./_fields.ts";
import type { ResponseHead } from "./_response_head.ts";
import type { ClientNames, HeadWriter } from "./_rewrite.ts";
import type { BackendPool } from "./_pool.ts";
import type { PoolHost } from "./_backend_conn.ts";
import type { RequestMetrics } from "./metrics.ts";

/** A client connection's one state. */
export const St = {
  /** Waiting for (or reading) a request head. */
  Head: 0,
  /** A request waits for a backend connection. */
  Queued: 1,
  /** A request is being forwarded and its response read back. */
  Forward: 2,
  /** Upgraded: bytes both ways, no HTTP. */
  Tunnel: 3,
  Closed: 4,
} as const;
/** One of {@link St}'s values. */
export type St = typeof St[keyof typeof St];

/** The http-mode settings, in milliseconds where times. */
export interface HttpSettings {
  /** A backend that sends nothing for this long gets a 504 (or, mid-response, the abort). */
  serverTimeoutMs: number;
  /** A request head must arrive within this (408 after). */
  requestTimeoutMs: number;
  /** A keep-alive client with no request, or a stalled transfer, is closed after this. */
  idleTimeoutMs: number;
  /** A request waits this long for a pooled connection (503 after). */
  queueTimeoutMs: number;
  /** Set X-Forwarded-Proto and append a Forwarded element (X-Forwarded-For is always appended). */
  forwarded: boolean;
}

/** What every stream of one frontend shares. */
export interface StreamHost extends PoolHost {
  readonly ctx: SessionContext;
  readonly log: Logger;
  /** The one read buffer of the loop. */
  readonly buf: Uint8Array;
  readonly parser: RequestParser;
  readonly reqFields: Fields;
  readonly res: ResponseHead;
  readonly writer: HeadWriter;
  /** Whether a line per request is printed. */
  readonly logging: boolean;
  readonly http: HttpSettings;
  pool(backend: Backend): BackendPool;
  metrics(backend: Backend): RequestMetrics;
  /** Continue `stream` once the event in progress is handled (never within it). */
  kick(stream: ClientSide): void;
  /** The balancer is stopping: connections close after the response in progress. */
  readonly draining: boolean;
  /** The stream closed its client socket. */
  ended(stream: ClientSide): void;
}

/** Largest carry: a whole request head (line and fields) and one read beyond it. */
const MAX_CARRY = 8 * 1024 + 32 * 1024 + 64 * 1024;

/** A client socket with its buffers and deadline. */
export abstract class ClientSide implements DeadlineOwner {
  state: St = St.Head;
  /** The client socket: its descriptor, deadline and close. */
  readonly handle: Handle;
  /** The client's bytes: its socket, or the TLS on it (`--cert`; set by the frontend). */
  wire: Wire;
  readonly host: StreamHost;
  readonly loop: EventLoop;
  readonly client: ClientNames;
  /** `ip:port` as logs print it, and the strategy's hash key. */
  readonly from: string;
  readonly hashKey: string;
  /** Bytes for the client that the kernel has not taken. */
  out: Uint8Array | null = null;
  /** Edge-triggered: bytes (or the FIN) may be waiting. */
  readable = false;
  /** The client's FIN has come (it is read after any bytes before it). */
  rdhup = false;
  /** The client's FIN was read. */
  eof = false;
  /** Close once `out` is sent. */
  closeAfter = false;
  lastActive: number;
  /** Received bytes not yet used: `carry[0..carryLen)`. */
  carry: Uint8Array | null = null;
  carryLen = 0;
  /** The carry holds an incomplete head that was parsed already. */
  partial = false;
  /** `--send-proxy`: the header its backend connections start with (they serve no one else). */
  proxyHeader: Uint8Array | null = null;

  constructor(host: StreamHost, fd: number, client: ClientNames, from: string, hashKey: string) {
    this.host = host;
    this.loop = host.loop;
    this.handle = new Handle(host.loop, fd, this);
    this.wire = new FdWire(host.loop, this.handle);
    this.client = client;
    this.from = from;
    this.hashKey = hashKey;
    this.lastActive = host.loop.now;
  }

  /** The client socket's descriptor (-1 once closed). */
  get fd(): number {
    return this.handle.fd;
  }

  /** Sets (or moves) the client's deadline to `ms` from now. */
  deadlineIn(ms: number): void {
    this.handle.setDeadline(this.loop.now + ms);
  }

  /**
   * Sends `b[s..e)` to the client, after anything pending; keeps what the kernel does not take.
   *
   * @returns false when the client is gone
   */
  sendDown(b: Uint8Array, s: number, e: number): boolean {
    if (s === e) return true;
    if (this.out !== null) {
      const joined = new Uint8Array(this.out.length + e - s);
      joined.set(this.out);
      joined.set(b.subarray(s, e), this.out.length);
      this.out = joined;
      return true;
    }
    const n = this.wire.send(s === 0 ? b : b.subarray(s), e - s);
    if (n < 0 && n !== -C.EAGAIN) return false;
    const sent = n < 0 ? 0 : n;
    if (sent > 0) this.lastActive = this.loop.now;
    if (sent < e - s) this.out = b.slice(s + sent, e);
    return true;
  }

  /** Sends what is pending; false when the client is gone. */
  flushDown(): boolean {
    const out = this.out;
    if (out === null) return true;
    this.out = null;
    return this.sendDown(out, 0, out.length);
  }

  /** Keeps `b[s..e)` (after what is carried already); false when that would be too much. */
  keep(b: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (n === 0) return true;
    const len = this.carryLen;
    if (len + n > MAX_CARRY) return false;
    let carry = this.carry;
    if (carry === null || len + n > carry.length) {
      const bigger = new Uint8Array(Math.min(MAX_CARRY, Math.max(1024, 2 * (len + n))));
      if (carry !== null) bigger.set(carry.subarray(0, len));
      carry = this.carry = bigger;
    }
    carry.set(b.subarray(s, e), len);
    this.carryLen = len + n;
    return true;
  }

  /** Drops the first `used` carried bytes (the carry is freed when nothing is left). */
  consumed(used: number): void {
    const left = this.carryLen - used;
    if (left <= 0) {
      this.carryLen = 0;
      // a large carry is freed; a small one is kept for the next partial head
      if (this.carry !== null && this.carry.length > 4096) this.carry = null;
      return;
    }
    this.carry!.copyWithin(0, used, this.carryLen);
    this.carryLen = left;
  }

  /** Whether the state is `st` now (read anew: a call in between may have changed it). */
  is(st: St): boolean {
    return this.state === st;
  }

  abstract onDeadline(now: number): void;

  /** Continues after a deferred {@link StreamHost.kick}. */
  abstract resume(): void;

  /** Closes the client socket (once). */
  closeClient(): void {
    if (this.state === St.Closed) return;
    this.state = St.Closed;
    this.out = this.carry = null;
    this.wire.release();
    this.handle.close();
    this.host.ended(this);
  }
}
