/**
 * The worker's half of queue dispatch: rebuilds each request the supervisor hands over, runs the
 * handler, and sends the answer back. Small bodies travel whole in one transferred buffer; the rest
 * stream a chunk per `pull`, so a large file never sits whole in either thread.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Responder } from "./_pool_handler.ts";
import { type FromWorker, headerPairs, type RequestMessage } from "./pool_protocol.ts";

/** Bodies up to this size go back in the head message. */
const INLINE_MAX = 256 * 1024;

/** A body being streamed: its reader, and chunks read ahead while sizing it up. */
interface Streamed {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  ahead: Uint8Array[];
}

/** Reads until the body ends or more than `max` bytes have come. */
async function readAhead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  max: number,
): Promise<{ chunks: Uint8Array[]; done: boolean }> {
  const chunks: Uint8Array[] = [];
  for (let size = 0; size <= max;) {
    const result = await reader.read();
    if (result.done) return { chunks, done: true };
    chunks.push(result.value);
    size += result.value.byteLength;
  }
  return { chunks, done: false };
}

/** The chunks as one fresh buffer (fit to transfer: no view on a buffer the handler keeps). */
function joined(chunks: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

/**
 * The request as `Deno.serve` would have handed it to the handler. `new Request` normalises the URL
 * (a backslash becomes a slash, `Host: a?x` moves the path into the query), refuses the methods fetch
 * forbids (CONNECT, TRACE, TRACK) and upper-cases a few others (`get`), where `Deno.serve` passes
 * the URL and method through as sent, for the handler to judge: keep both as the client sent them.
 * The body never crosses over: the static handler does not read one.
 */
function rebuild(msg: RequestMessage): Request {
  const req = new Request("http://localhost/", { headers: msg.headers });
  Object.defineProperty(req, "url", { value: msg.url });
  Object.defineProperty(req, "method", { value: msg.method });
  return req;
}

/** Called once per answered request. */
export type OnAnswered = () => void;

/** Answers queue-dispatched requests inside one worker. */
export class QueueResponder {
  #handler: Responder;
  #post: (msg: FromWorker, transfer?: Transferable[]) => void;
  #onAnswered: OnAnswered;
  #extraHeaders: [string, string][];
  #streams = new Map<number, Streamed>();
  #log = getLogger(["netlab", "pool"]);

  /**
   * @param handler the worker's request handler
   * @param post sends a message to the supervisor
   * @param onAnswered called when a response head is sent
   * @param extraHeaders added to every response (the worker's name)
   */
  constructor(
    handler: Responder,
    post: (msg: FromWorker, transfer?: Transferable[]) => void,
    onAnswered: OnAnswered,
    extraHeaders: [string, string][],
  ) {
    this.#handler = handler;
    this.#post = post;
    this.#onAnswered = onAnswered;
    this.#extraHeaders = extraHeaders;
  }

  /**
   * Runs the handler for one request and sends the head (and the body, when small). Never rejects:
   * one request must not take the worker (and everything else it serves) down with it.
   */
  async handle(msg: RequestMessage): Promise<void> {
    let res: Response;
    let body: ArrayBuffer | null = null;
    let streamed: Streamed | undefined;
    try {
      res = await this.#handler(rebuild(msg), {
        remoteAddr: { transport: "tcp", hostname: msg.remote.hostname, port: msg.remote.port },
        completed: Promise.resolve(),
      });
      const length = res.headers.get("content-length");
      if (res.body !== null && length !== null) {
        if (Number(length) <= INLINE_MAX) body = await res.arrayBuffer();
        else streamed = { reader: res.body.getReader(), ahead: [] };
      } else if (res.body !== null) {
        // No length (error pages, JSON, gzip, listings): most are small, and one message back
        // beats a head, a pull and two chunks; only what outgrows INLINE_MAX streams.
        const reader = res.body.getReader();
        const { chunks, done } = await readAhead(reader, INLINE_MAX);
        if (done) body = chunks.length === 0 ? null : joined(chunks);
        else streamed = { reader, ahead: chunks };
      }
    } catch (err) {
      // The static handler answers its own errors with a 500; this only guards the wire protocol,
      // so the supervisor is never left waiting for a head.
      this.#log.error("Unexpected error: {error}", { error: err });
      res = new Response("500 Internal Server Error\n", { status: 500 });
      body = await res.arrayBuffer();
    }
    const headers = headerPairs(res.headers);
    headers.push(...this.#extraHeaders);
    const head = {
      type: "head" as const,
      id: msg.id,
      status: res.status,
      statusText: res.statusText,
      headers,
    };
    if (streamed !== undefined) {
      this.#streams.set(msg.id, streamed);
      this.#post({ ...head, body: null, more: true });
    } else {
      this.#post({ ...head, body, more: false }, body === null ? undefined : [body]);
    }
    this.#onAnswered();
  }

  /** Sends the next chunk of a streamed body. */
  async pull(id: number): Promise<void> {
    const streamed = this.#streams.get(id);
    if (streamed === undefined) return;
    const ahead = streamed.ahead.shift();
    if (ahead !== undefined) return this.#post({ type: "chunk", id, data: ahead, done: false });
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await streamed.reader.read();
    } catch {
      // The body failed mid-way (file removed, disk error): end it; the client sees a short body.
      result = { done: true } as ReadableStreamReadDoneResult<Uint8Array>;
    }
    if (result.done) {
      this.#streams.delete(id);
      this.#post({ type: "chunk", id, data: null, done: true });
    } else {
      // Copied, not transferred: the chunk may be a view on a buffer the handler keeps (its cache).
      this.#post({ type: "chunk", id, data: result.value, done: false });
    }
  }

  /** Drops a streamed body whose client went away. */
  cancel(id: number): void {
    const streamed = this.#streams.get(id);
    this.#streams.delete(id);
    streamed?.reader.cancel().catch(() => {});
  }
}
