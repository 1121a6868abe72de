/**
 * One slow-path answer in progress, as a sequence of synchronous steps: ask the handler, frame
 * its `Response` (`_answer.ts`), then send the head and the body (read whole, a file for
 * sendfile(2), or a stream with backpressure). Each step returns what to wait for next, or null
 * when the answer is done; the session's one `await` waits for it and calls the next step.
 * A body longer or shorter than its Content-Length ends the connection, with a log line: the
 * framing would be broken.
 *
 * @module
 */
import {
  type Asked,
  chunkSize,
  CRLF,
  frameAnswer,
  LAST_CHUNK,
  rememberNotModified,
  rememberOk,
} from "./_answer.ts";
import type { Http1Env } from "./_env.ts";
import type { FileBody } from "../http/file_response.ts";

/** What an answer in progress may do to its connection. */
export interface Step {
  readonly env: Http1Env;
  /** Whether the connection closed. */
  closed(): boolean;
  /** Asks the handler. */
  respond(req: Request): Response | Promise<Response>;
  /** Sends bytes (the connection's to keep); false when it closed. */
  send(bytes: Uint8Array): boolean;
  /** Queues bytes (the connection's to keep) for the next {@link flush}. */
  queue(bytes: Uint8Array): void;
  /** Sends what is queued, with one writev; false when the connection closed. */
  flush(): boolean;
  /** Opens a file body for {@link sendFile}; -1 when the socket cannot send files. */
  openFile(body: FileBody): number;
  /** Sends a head, then a stretch of an opened file; false when the connection closed. */
  sendFile(head: Uint8Array, file: number, offset: number, length: number): boolean;
  /** Resolves once nothing is pending; null when nothing is now. */
  whenSent(): Promise<void> | null;
  /** Logs why the answer cannot go on and closes the connection. */
  fail(message: string): void;
}

const Phase = { Ask: 0, Frame: 1, Whole: 2, Read: 3, Drained: 4, Done: 5 } as const;
type Phase = typeof Phase[keyof typeof Phase];

/** One request's answer by the handler. */
export class Reply {
  /** What the last wait resolved to: the next step's input. */
  got: unknown = undefined;
  /** Whether the connection stays open after this answer (known once framed). */
  keepAlive = false;
  #phase: Phase = Phase.Ask;
  #req: Request;
  #asked: Asked;
  #res: Response | null = null;
  #head: Uint8Array | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #chunked = false;
  /** The Content-Length, and the bytes of it not yet sent (-1: not length-framed). */
  #length = -1;
  #left = -1;

  /** The head's length once framed (the access log counts the body's bytes after it). */
  headLength = 0;

  constructor(req: Request, asked: Asked) {
    this.#req = req;
    this.#asked = asked;
  }

  /** The request this answers. */
  get request(): Request {
    return this.#req;
  }

  /** The answer's status (0 before the handler answered). */
  get status(): number {
    return this.#res?.status ?? 0;
  }

  /** Takes the next step; returns what to wait for before the one after, or null when done. */
  step(port: Step): Promise<unknown> | null {
    switch (this.#phase) {
      case Phase.Ask:
        return this.#ask(port);
      case Phase.Frame:
        return this.#frame(port, this.got as Response);
      case Phase.Whole:
        return this.#whole(port, this.got as Uint8Array);
      case Phase.Read:
        return this.#read(port, this.got as ReadableStreamReadResult<Uint8Array>);
      case Phase.Drained:
        this.#phase = Phase.Read;
        return port.closed() ? null : this.#reader!.read();
      default:
        return null;
    }
  }

  /** The answer ended (or the connection closed): lets go of the body. */
  end(closed: boolean): void {
    const reader = this.#reader;
    if (reader !== null) {
      if (closed) void reader.cancel().catch(() => {});
      reader.releaseLock();
    } else if (closed) this.#cancel();
  }

  #ask(port: Step): Promise<Response> {
    this.#phase = Phase.Frame;
    const { env } = port;
    const req = this.#req;
    let res: Response | Promise<Response>;
    try {
      res = port.respond(req);
    } catch (err) {
      res = env.failed(req, err);
    }
    // awaited even when it is already there: the rest runs on a fresh stack, never nested
    return res instanceof Promise ? res.catch((err) => env.failed(req, err)) : Promise.resolve(res);
  }

  #frame(port: Step, res: Response): Promise<unknown> | null {
    this.#phase = Phase.Done;
    this.#res = res;
    if (port.closed()) return null;
    const framed = frameAnswer(res, this.#asked, port.env.date.text);
    this.headLength = framed.head.length;
    this.keepAlive = framed.keepAlive;
    const body = framed.body;
    const fast = port.env.fast;
    switch (body.kind) {
      case "none":
        this.#cancel();
        if (port.send(framed.head) && fast !== null) rememberNotModified(fast, this.#req, res);
        return null;
      case "whole":
        this.#head = framed.head;
        this.#length = this.#left = body.length;
        this.#phase = Phase.Whole;
        return res.bytes();
      case "file": {
        const file = port.openFile(body.file);
        if (file < 0) return this.#stream(port, framed.head, false, body.length);
        this.#cancel();
        this.#phase = Phase.Done;
        if (!port.sendFile(framed.head, file, body.file.start, body.length)) return null;
        return port.whenSent();
      }
      case "stream":
        return this.#stream(port, framed.head, body.chunked, body.length);
    }
  }

  #whole(port: Step, body: Uint8Array): null {
    this.#phase = Phase.Done;
    if (port.closed()) return null;
    if (body.length !== this.#length) {
      port.fail(this.#mismatch(body.length > this.#length ? "longer" : "shorter"));
      return null;
    }
    port.queue(this.#head!);
    port.queue(body);
    const fast = port.env.fast;
    if (port.flush() && fast !== null) {
      rememberOk(fast, this.#req, this.#res!, body, this.#asked.started);
    }
    return null;
  }

  #stream(port: Step, head: Uint8Array, chunked: boolean, length: number): Promise<unknown> | null {
    this.#phase = Phase.Done;
    const body = this.#res!.body;
    if (!port.send(head)) return null;
    this.#chunked = chunked;
    this.#length = this.#left = length;
    if (body === null) {
      if (length > 0) port.fail(this.#mismatch("shorter"));
      else if (chunked) port.send(LAST_CHUNK);
      return null;
    }
    this.#reader = body.getReader();
    this.#phase = Phase.Read;
    return this.#reader.read();
  }

  #read(port: Step, r: ReadableStreamReadResult<Uint8Array>): Promise<unknown> | null {
    if (port.closed()) return null;
    if (r.done) {
      this.#phase = Phase.Done;
      if (this.#left > 0) port.fail(this.#mismatch("shorter"));
      else if (this.#chunked) port.send(LAST_CHUNK);
      return null;
    }
    const value = r.value;
    if (value.length === 0) return this.#reader!.read();
    if (this.#left >= 0) {
      if (value.length > this.#left) {
        this.#phase = Phase.Done;
        port.fail(this.#mismatch("longer"));
        return null;
      }
      this.#left -= value.length;
    }
    if (this.#chunked) {
      port.queue(chunkSize(value.length));
      port.queue(value);
      port.queue(CRLF);
    } else port.queue(value);
    if (!port.flush()) return null;
    const wait = port.whenSent();
    if (wait === null) return this.#reader!.read();
    this.#phase = Phase.Drained;
    return wait;
  }

  #mismatch(how: "longer" | "shorter"): string {
    const req = this.#req;
    return `The body of the answer to ${req.method} ${new URL(req.url).pathname} was ${how} ` +
      `than its Content-Length (${this.#length}); the connection is closed`;
  }

  #cancel(): void {
    const body = this.#res?.body;
    if (body !== null && body !== undefined && !body.locked) void body.cancel().catch(() => {});
  }
}
