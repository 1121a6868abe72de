/**
 * The handler's turn on one connection: a request the fast path cannot answer goes to the
 * handler, whose answer {@link Reply} frames and sends step by step. This is the only place a
 * session awaits. It is made on a connection's first such request (a connection served from
 * prebuilt answers never makes one) and is the {@link Step} its answers act through: methods,
 * not a closure per operation.
 *
 * @module
 */
import type { Asked } from "./_answer.ts";
import type { Http1Env, Peer } from "./_env.ts";
import type { SessionIO } from "./_io.ts";
import type { Outbox, Sent } from "./_outbox.ts";
import { Reply, type Step } from "./_reply.ts";
import { connForm } from "./_fast.ts";
import type { FileBody } from "../http/file_response.ts";

/** What a turn needs of its session. */
export interface TurnHost extends Peer {
  /** Whether the connection is closed. */
  readonly closed: boolean;
  /** Closes the connection at once. */
  close(): void;
  /** Takes a send's outcome: moves the send deadline, or closes; false when closed. */
  sent(sent: Sent, now: number): boolean;
  /** The handler's answer is done (or the connection closed): the session moves on. */
  answered(keepAlive: boolean): void;
}

/** One session's way to its handler. */
export class HandlerTurn implements Step {
  readonly env: Http1Env;
  #host: TurnHost;
  #out: Outbox;
  #io: SessionIO;
  /** The answer in progress gave its hold on the loop back while it waits for the socket. */
  #parked = false;

  constructor(env: Http1Env, host: TurnHost, out: Outbox, io: SessionIO) {
    this.env = env;
    this.#host = host;
    this.#out = out;
    this.#io = io;
  }

  /** Answers `request`, the one the parser holds, with the handler (asked at `now`). */
  start(request: Request, now: number): void {
    const parser = this.env.parser;
    const asked: Asked = {
      head: parser.method === "HEAD",
      minor: parser.minor,
      keepAlive: parser.keepAlive,
      form: connForm(parser),
      started: now,
    };
    void this.#serve(new Reply(request, asked));
  }

  /**
   * Each step of the answer ({@link Reply.step}) is synchronous and returns what to wait for
   * next (the handler, the body, the socket), so nothing recurses whatever the handler returns.
   * The loop is told async work is in flight ({@link Http1Env.hold}) until the answer is out,
   * except while it waits for the socket, which only the loop drains.
   */
  async #serve(reply: Reply): Promise<void> {
    const env = this.env;
    const t0 = performance.now();
    // where this answer's bytes begin on the connection (one answer is in flight)
    const start = this.#out.taken + this.#out.unsent;
    const onAnswered = env.onAnswered;
    const logged = onAnswered !== null;
    env.hold();
    try {
      let wait = reply.step(this);
      // the access log counts what left: it waits for the bytes (the next request would anyway)
      if (wait === null && logged) wait = this.whenSent();
      while (wait !== null) {
        reply.got = await wait;
        wait = reply.step(this);
        if (wait === null && logged) wait = this.whenSent();
      }
    } catch (err) {
      env.onStreamError?.(err);
      this.#host.close();
    } finally {
      reply.end(this.#host.closed);
      env.release();
    }
    if (onAnswered !== null) {
      const body = this.#out.taken - start - reply.headLength;
      onAnswered(this.#host, reply.request, reply.status, Math.max(0, body), t0);
    }
    this.#host.answered(reply.keepAlive);
  }

  /** Takes the hold on the loop back for the answer the socket is about to wake. */
  unpark(): void {
    if (!this.#parked) return;
    this.#parked = false;
    this.env.hold();
  }

  closed(): boolean {
    return this.#host.closed;
  }

  respond(req: Request): Response | Promise<Response> {
    return this.env.respond(req, this.#host);
  }

  send(bytes: Uint8Array): boolean {
    return this.#host.sent(this.#out.send(bytes, bytes.length, false, true), this.env.now);
  }

  queue(bytes: Uint8Array): void {
    this.#out.queue(bytes);
  }

  flush(): boolean {
    return this.#host.sent(this.#out.flush(), this.env.now);
  }

  openFile(body: FileBody): number {
    return this.#host.closed ? -1 : this.#io.openFile?.(body) ?? -1;
  }

  sendFile(head: Uint8Array, file: number, offset: number, length: number): boolean {
    this.env.filesSent++;
    return this.#host.sent(this.#out.sendFile(head, file, offset, length), this.env.now);
  }

  whenSent(): Promise<void> | null {
    const wait = this.#out.whenSent();
    if (wait !== null && !this.#parked) {
      this.#parked = true;
      this.env.release();
    }
    return wait;
  }

  fail(message: string): void {
    this.env.onStreamError?.(new Error(message));
    this.#host.close();
  }
}
