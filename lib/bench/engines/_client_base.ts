/**
 * What both raw clients share (the loop's, `_loop_client.ts`, and the one on Deno's sockets,
 * `_conn_client.ts`): the read buffer and the parser, the connect gate, the request's bytes, and
 * how a request's end is written into its sample: the same outcome and cause for the same
 * failure whichever sockets run.
 *
 * @module
 */
import { ResponseParser } from "../_http_parser.ts";
import { classifyError, Outcome, type Sample } from "../engine.ts";
import type { ConnectGate } from "./_dial.ts";
import type { TableBytes } from "./_request_bytes.ts";

/**
 * Each client's read buffer starts small (wrk reads 8 KiB at a time) and doubles, up to 64 KiB,
 * while reads fill it: -c 1000 no longer costs 64 MB of buffers up front. Deno's reads fill their
 * buffer off the JS thread, so clients cannot share one.
 */
const MIN_READ_BUFFER = 8 * 1024;
const MAX_READ_BUFFER = 64 * 1024;

/** What a TLS connection says about its handshake, when it can. */
export interface HandshakeFacts {
  readonly resumed?: boolean;
  readonly protocol?: string;
  readonly cipher?: string;
}

/** A raw client's state apart from its connection. */
export abstract class ClientBase {
  buf: Uint8Array = new Uint8Array(MIN_READ_BUFFER);
  readonly parser: ResponseParser = new ResponseParser();
  abortReason: "timeout" | "stop" | null = null;
  /** The request in flight's sample, or null. */
  sample: Sample | null = null;
  /** The request in flight's bytes, and whether it is a HEAD. */
  bytes: Uint8Array;
  head: boolean;
  /** The request went out on a kept-alive connection. */
  reused = false;
  /** Tries of the request in flight (a second after a kept-alive connection was found closed). */
  attempt = 0;
  readonly #request: Uint8Array;
  readonly #head: boolean;
  readonly #gate: ConnectGate;
  #gated = false;
  readonly #table: TableBytes | null;

  constructor(request: Uint8Array, head: boolean, gate: ConnectGate, table: TableBytes | null) {
    this.#request = this.bytes = request;
    this.#head = this.head = head;
    this.#gate = gate;
    this.#table = table;
  }

  /** Closes the connection, if any. */
  abstract close(): void;

  /**
   * Takes a connect slot (waiting for one if need be). The watchdog reads `s.start`: a client
   * waiting its turn must not look idle for ages, so the clock restarts once it has the slot.
   *
   * @returns false when the run stopped meanwhile (the slot is given back, `s` says so)
   */
  async enterGate(s: Sample): Promise<boolean> {
    this.#gated = false;
    if (!this.#gate.tryAcquire()) {
      await this.#gate.acquire();
      s.start = performance.now();
    }
    this.#gated = true;
    if (this.abortReason === null) return true;
    this.begin(s);
    this.fail(s, ...this.abortOutcome(this.abortReason));
    this.ungate();
    return false;
  }

  /** Gives the connect slot back, if this client holds one. */
  ungate(): void {
    if (!this.#gated) return;
    this.#gated = false;
    this.#gate.release();
  }

  /** Starts a request in `s`: its fields cleared, its bytes chosen, the parser ready. */
  begin(s: Sample): void {
    s.wireBytes = 0;
    s.bodyBytes = 0;
    s.status = 0;
    s.keepAlive = false;
    s.connectMs = 0;
    s.handshakeMs = -1;
    s.cause = "";
    const table = this.#table;
    this.bytes = table === null ? this.#request : table.get(s.line, s.bodyIndex);
    this.head = table === null ? this.#head : table.head[s.line]!;
    s.sentBytes = this.bytes.byteLength;
    const p = this.parser;
    p.captureServer = s.wantServer;
    p.reset(this.head);
    this.sample = s;
    this.reused = false;
    this.attempt = 0;
  }

  /** Whether a request that found its kept-alive connection closed unanswered is tried again. */
  idleRetry(): boolean {
    return this.reused && this.attempt === 0 && this.abortReason === null;
  }

  /** A read of `n` bytes filled the buffer: the responses are large, so read more at a time. */
  grow(n: number): void {
    if (n === this.buf.byteLength && n < MAX_READ_BUFFER) this.buf = new Uint8Array(n * 2);
  }

  /** Notes a finished handshake in `s` (its protocol and cipher once: they do not change). */
  noteHandshake(s: Sample, facts: HandshakeFacts): void {
    s.resumed = facts.resumed === undefined ? -1 : facts.resumed ? 1 : 0;
    if (s.protocol === "") {
      s.protocol = facts.protocol ?? "";
      s.cipher = facts.cipher ?? "";
    }
  }

  /** Ends the request in `s` with a whole response. */
  finishComplete(s: Sample): void {
    const p = this.parser;
    s.end = performance.now();
    s.status = p.status;
    s.wireBytes = p.wireBytes;
    s.bodyBytes = p.bodyBytes;
    s.keepAlive = p.keepAlive;
    if (s.wantServer) s.server = p.server ?? "";
    s.outcome = Outcome.Complete;
  }

  /** Ends the request in `s` with a failure and closes the connection. */
  fail(s: Sample, outcome: Outcome, cause: string): void {
    s.wireBytes = this.parser.wireBytes;
    s.bodyBytes = this.parser.bodyBytes;
    s.outcome = outcome;
    s.cause = cause;
    s.end = performance.now();
    this.close();
  }

  /** How a request ends when the run stopped it or its time ran out. */
  abortOutcome(reason: "timeout" | "stop"): [Outcome, string] {
    return [reason === "timeout" ? Outcome.Exception : Outcome.Aborted, "timeout"];
  }

  /** The cause of a failure while connecting (TCP or TLS): always a Connect failure. */
  connectCause(err: unknown): string {
    return classifyError(err).cause;
  }
}

/** What a failure on an established connection counts as: Receive, or Exception for the odd. */
export function ioFailure(err: unknown): { outcome: Outcome; cause: string } {
  if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) {
    return { outcome: Outcome.Receive, cause: "connection closed" };
  }
  const c = classifyError(err);
  return {
    outcome: c.outcome === Outcome.Exception ? Outcome.Exception : Outcome.Receive,
    cause: c.cause,
  };
}
