/**
 * The seam between the run loop and the engines: an engine opens clients (one per concurrent
 * slot); a client performs one request at a time and fills a reusable {@linkcode Sample}.
 *
 * @module
 */
import type { RequestTable } from "./request_table.ts";

/** How one request ended. */
export const Outcome = {
  /** A whole response arrived (any status). */
  Complete: 0,
  /** The connection could not be opened. */
  Connect: 1,
  /** Reading or writing failed, or the connection closed before the response was complete. */
  Receive: 2,
  /** Anything else: a timeout, a malformed response. */
  Exception: 3,
  /** Stopped by the run itself (time limit, Ctrl-C): counted nowhere. */
  Aborted: 4,
} as const;
/** One of {@linkcode Outcome}'s values. */
export type Outcome = typeof Outcome[keyof typeof Outcome];

/** What one request did; one object per client, overwritten by every request. */
export interface Sample {
  outcome: Outcome;
  /** Short cause of a failure, grouped in the report ("connection refused"). */
  cause: string;
  /** performance.now() when the request was due (open model) or started. */
  intended: number;
  /** performance.now() when the request started (before connecting, if it had to). */
  start: number;
  /** Connection set-up in ms (0 on a reused connection), or -1 when the engine cannot see it. */
  connectMs: number;
  /** performance.now() when the request was fully written, or -1 when the engine cannot see it. */
  writeDone: number;
  /** performance.now() when the first response byte (fetch: the headers) arrived. */
  firstByte: number;
  /** performance.now() when the response was complete. */
  end: number;
  status: number;
  /** Response bytes on the wire. */
  wireBytes: number;
  /** Body bytes. */
  bodyBytes: number;
  /** The server agreed to keep the connection open after this response. */
  keepAlive: boolean;
  /** `Server` header, filled only when `wantServer` was set. */
  server: string | null;
  /** Ask the engine for the `Server` header on this request. */
  wantServer: boolean;
  /** The request table's line this request sends (0 without a table). */
  line: number;
  /** The request table's body this request sends, or -1 (none, or the line's own). */
  bodyIndex: number;
  /** Bytes of the request as sent (raw: head and body; fetch: the body). */
  sentBytes: number;
  /** The TLS handshake this request made, in ms (part of `connectMs`), or -1 when it made none. */
  handshakeMs: number;
  /** That handshake resumed a session: 1, 0, or -1 when the engine cannot tell. */
  resumed: number;
  /** The protocol version that handshake agreed (`TLSv1.3`), "" when unknown. */
  protocol: string;
  /** The cipher suite it agreed (`TLS_AES_256_GCM_SHA384`), "" when unknown. */
  cipher: string;
}

/** A fresh sample. */
export function newSample(): Sample {
  return {
    outcome: Outcome.Complete,
    cause: "",
    intended: 0,
    start: 0,
    connectMs: 0,
    writeDone: 0,
    firstByte: 0,
    end: 0,
    status: 0,
    wireBytes: 0,
    bodyBytes: 0,
    keepAlive: false,
    server: null,
    wantServer: false,
    line: 0,
    bodyIndex: -1,
    sentBytes: 0,
    handshakeMs: -1,
    resumed: -1,
    protocol: "",
    cipher: "",
  };
}

/** One connection slot doing requests one after another. */
export interface EngineClient {
  /** Performs one request; never rejects for network errors, it fills `sample.outcome` instead. */
  request(sample: Sample): Promise<void>;
  /** Ends the request in flight: "timeout" makes it an Exception, anything else Aborted. */
  abort(reason: "timeout" | "stop"): void;
  /** Closes the connection, if any. */
  close(): void;
}

/** What both engines know about exactness, so the report says what it cannot see. */
export interface EngineTraits {
  /** Header bytes on the wire are counted exactly (raw) or reconstructed (fetch). */
  exactWireBytes: boolean;
  /** Connect and write-done timestamps exist. */
  connectTimes: boolean;
  /**
   * No client of this engine can run ahead of the others (an epoll loop serves every ready
   * connection once per wake-up; fetch's responses always come through the event loop), so the
   * run loop need not hold clients to one request per event-loop turn.
   */
  fairTurns?: boolean;
}

/** A load-generation engine. */
export interface Engine {
  readonly name: "fetch" | "raw";
  readonly traits: EngineTraits;
  /** Bytes one request puts on the wire (raw); fetch cannot see its head, so only the body. */
  readonly requestBytes: number;
  /** Opens a client; connections are made lazily by the first request. */
  client(): EngineClient;
  /** Releases shared resources (the fetch engine's HTTP client). */
  close(): void;
}

/** Everything an engine needs to know about the requests it sends. */
export interface RequestSpec {
  url: URL;
  method: string;
  /** Headers in order, user-set ones included. */
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  keepAlive: boolean;
  /** For the fetch engine's connection pool. */
  concurrency: number;
  /** The raw engine's sockets: "auto" (epoll where it can run) or "deno" (Deno.connect always). */
  sockets?: "auto" | "deno";
  /** PEM certificates to trust for https, besides the system's (`--cacert`). */
  caCerts: string[];
  /** Many requests (`--urls-file`, `--body-dir`): the lines and bodies, or null for one shape. */
  table?: RequestTable | null;
  /** Dial this Unix socket instead of the URL's host and port (raw only). */
  unixSocket?: string | null;
  /** Check no https certificate (`--insecure`; Deno's own TLS takes its flag instead). */
  insecure?: boolean;
}

/** Maps a socket/fetch error to an outcome and a short cause. */
export function classifyError(err: unknown): { outcome: Outcome; cause: string } {
  if (err instanceof Deno.errors.ConnectionRefused) {
    return { outcome: Outcome.Connect, cause: "connection refused" };
  }
  if (err instanceof Deno.errors.ConnectionReset) {
    return { outcome: Outcome.Receive, cause: "connection reset" };
  }
  if (err instanceof Deno.errors.BrokenPipe) {
    return { outcome: Outcome.Receive, cause: "broken pipe" };
  }
  if (err instanceof Deno.errors.ConnectionAborted) {
    return { outcome: Outcome.Receive, cause: "connection aborted" };
  }
  if (
    err instanceof Deno.errors.AddrNotAvailable || err instanceof Deno.errors.NetworkUnreachable ||
    err instanceof Deno.errors.NotFound
  ) {
    return { outcome: Outcome.Connect, cause: shortMessage(err) };
  }
  return { outcome: Outcome.Exception, cause: shortMessage(err) };
}

/** The first line of an error message, without OS error numbers, lower-cased at the start. */
export function shortMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = (text.split("\n")[0] ?? "").replace(/\s*\(os error \d+\)/, "").trim();
  return line.length > 0 ? line[0]!.toLowerCase() + line.slice(1) : "unknown error";
}
