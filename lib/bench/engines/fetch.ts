/**
 * The fetch engine: Deno's native `fetch`. Without keep-alive the HTTP client keeps no idle
 * connection, so every request opens its own; with keep-alive connections are pooled. fetch hides
 * the wire: header bytes are reconstructed from the parsed headers, and there is no connect or
 * write-done timestamp, which the report states rather than invents.
 *
 * @module
 */
import {
  classifyError,
  type Engine,
  type EngineClient,
  type EngineTraits,
  Outcome,
  type RequestSpec,
  type Sample,
} from "../engine.ts";
import { VERSION } from "../../version.ts";
import { bodyBytes } from "../request_table.ts";

/** Creates the fetch engine for `spec`. */
export function fetchEngine(spec: RequestSpec): Engine {
  const client = Deno.createHttpClient({
    poolMaxIdlePerHost: spec.keepAlive ? spec.concurrency : 0,
    http2: false,
    ...(spec.caCerts.length > 0 ? { caCerts: spec.caCerts } : {}),
  });
  // Pairs, not a Headers object: fetch copies a Headers object through its iterator, which costs
  // twice as much per request as reading an array.
  const init = initOf(spec.method, spec.headers, spec.body, client);
  const table = spec.table ?? null;
  const variants = table === null ? null : new Map<number, Init>();
  const variant = (line: number, body: number): Init => {
    const key = line * (table!.bodies.length + 1) + body + 1;
    let v = variants!.get(key);
    if (v === undefined) {
      const l = table!.lines[line]!;
      v = initOf(l.method, l.headers, bodyBytes(table!, line, body), client, l.url.href);
      variants!.set(key, v);
    }
    return v;
  };
  const url = spec.url.href;
  const traits: EngineTraits = {
    exactWireBytes: false,
    connectTimes: false,
    // Every fetch response comes back through the event loop (hyper's pool on tokio), never at
    // once, so no client can run ahead; holding fetch clients to turns changed nothing measurable
    // at -c 50 or -c 1000 (within this machine's noise) beyond its own cost.
    fairTurns: true,
  };
  return {
    name: "fetch",
    traits,
    requestBytes: spec.body?.byteLength ?? 0,
    client: () => new FetchClient(url, init, spec.keepAlive, table === null ? null : variant),
    close: () => client.close(),
  };
}

type Init = Omit<RequestInit, "signal"> & { client: Deno.HttpClient; url?: string };

/** One request's fetch options; `url` is set for a table's lines. */
function initOf(
  method: string,
  specHeaders: Array<[string, string]>,
  body: Uint8Array | null,
  client: Deno.HttpClient,
  url?: string,
): Init {
  // Pairs, not a Headers object: fetch copies a Headers object through its iterator, which costs
  // twice as much per request as reading an array.
  const headers: Array<[string, string]> = [...specHeaders];
  const has = (name: string) => headers.some(([k]) => k.toLowerCase() === name);
  // So that body bytes compare with ab, which never asks for compression.
  if (!has("accept-encoding")) headers.push(["accept-encoding", "identity"]);
  if (!has("user-agent")) headers.push(["user-agent", `netlab-bench/${VERSION}`]);
  if (!has("accept")) headers.push(["accept", "*/*"]);
  return {
    method,
    headers,
    body: body === null ? null : new Uint8Array(body),
    client,
    redirect: "manual" as const,
    ...(url !== undefined ? { url } : {}),
  };
}

class FetchClient implements EngineClient {
  // One controller (and init object) per client, replaced only after an abort: allocating them per
  // request costs more than the rest of this engine's own work.
  #controller = new AbortController();
  #init: RequestInit;
  #reason: "timeout" | "stop" | null = null;
  #url: string;
  #base: Init;
  #keepAlive: boolean;
  #head = new HeadEstimate();
  #variant: ((line: number, body: number) => Init) | null;

  constructor(
    url: string,
    init: Init,
    keepAlive: boolean,
    variant: ((line: number, body: number) => Init) | null,
  ) {
    this.#variant = variant;
    this.#url = url;
    this.#base = init;
    this.#init = { ...init, signal: this.#controller.signal };
    this.#keepAlive = keepAlive;
  }

  async request(s: Sample): Promise<void> {
    if (this.#controller.signal.aborted) {
      this.#controller = new AbortController();
      this.#init = { ...this.#base, signal: this.#controller.signal };
    }
    this.#reason = null;
    s.start = performance.now();
    s.connectMs = -1;
    s.writeDone = -1;
    s.wireBytes = 0;
    s.bodyBytes = 0;
    s.status = 0;
    s.keepAlive = false;
    s.cause = "";
    let gotHeaders = false;
    let url = this.#url;
    let init = this.#init;
    if (this.#variant !== null) {
      const v = this.#variant(s.line, s.bodyIndex);
      url = v.url!;
      init = { ...v, signal: this.#controller.signal };
      s.sentBytes = (v.body as Uint8Array | null)?.byteLength ?? 0;
    } else s.sentBytes = (init.body as Uint8Array | null)?.byteLength ?? 0;
    try {
      const res = await fetch(url, init);
      gotHeaders = true;
      s.firstByte = performance.now();
      s.status = res.status;
      const headerBytes = this.#head.bytes(res);
      s.wireBytes = headerBytes;
      const body = await res.bytes();
      s.end = performance.now();
      s.bodyBytes = body.byteLength;
      s.wireBytes = headerBytes + body.byteLength;
      s.keepAlive = this.#keepAlive && !/close/i.test(res.headers.get("connection") ?? "");
      if (s.wantServer) s.server = res.headers.get("server") ?? "";
      s.outcome = Outcome.Complete;
    } catch (err) {
      s.end = performance.now();
      if (this.#reason !== null) {
        s.outcome = this.#reason === "timeout" ? Outcome.Exception : Outcome.Aborted;
        s.cause = "timeout";
      } else {
        const c = classifyFetchError(err, gotHeaders);
        s.outcome = c.outcome;
        s.cause = c.cause;
      }
    }
  }

  abort(reason: "timeout" | "stop"): void {
    this.#reason = reason;
    this.#controller.abort();
  }

  close(): void {
    // Pooled connections belong to the engine's HttpClient, closed with the engine.
  }
}

/**
 * The size of a response's head, reconstructed. Walking a Response's headers costs about 10 µs in
 * Deno, as much as the rest of this engine's own work per request, so a client walks them again
 * only when what changes a head's size from one response to the next changes: the status, the
 * Content-Length, a Set-Cookie; and every 64th response, in case anything else does.
 */
class HeadEstimate {
  #status = -1;
  #length: string | null = null;
  #countdown = 0;
  #bytes = 0;

  bytes(res: Response): number {
    const length = res.headers.get("content-length");
    if (
      res.status !== this.#status || length !== this.#length || --this.#countdown <= 0 ||
      res.headers.has("set-cookie")
    ) {
      this.#status = res.status;
      this.#length = length;
      this.#countdown = 64;
      this.#bytes = estimateHeaderBytes(res);
    }
    return this.#bytes;
  }
}

/** Size of the status line and headers as they would have been on the wire (names keep length). */
function estimateHeaderBytes(res: Response): number {
  // "HTTP/1.1 200 OK\r\n"
  let n = 9 + 3 + 1 + res.statusText.length + 2 + 2;
  for (const [k, v] of res.headers) {
    if (k === "set-cookie") continue;
    n += k.length + 2 + utf8Length(v) + 2;
  }
  for (const c of res.headers.getSetCookie()) n += 12 + utf8Length(c) + 2;
  return n;
}

function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) n += 1; // close enough for headers
  return n;
}

/** fetch wraps every network error in a TypeError; its message tells the stage apart. */
function classifyFetchError(
  err: unknown,
  gotHeaders: boolean,
): { outcome: Outcome; cause: string } {
  const msg = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : String(err);
  if (/refused/i.test(msg)) return { outcome: Outcome.Connect, cause: "connection refused" };
  if (/are blocked/i.test(msg)) {
    return { outcome: Outcome.Connect, cause: "fetch blocks this port (try --engine raw)" };
  }
  const tls = certificateCause(msg);
  if (!gotHeaders && tls !== null) return { outcome: Outcome.Connect, cause: tls };
  if (
    !gotHeaders &&
    /error trying to connect|dns error|connect error|\(connect\)|certificate/i.test(msg)
  ) {
    return { outcome: Outcome.Connect, cause: connectCause(msg) };
  }
  if (/reset/i.test(msg)) return { outcome: Outcome.Receive, cause: "connection reset" };
  if (gotHeaders || /closed|incomplete|eof|body/i.test(msg)) {
    return {
      outcome: Outcome.Receive,
      cause: gotHeaders
        ? "connection closed before the response was complete"
        : "connection closed before any response",
    };
  }
  return classifyError(err);
}

/**
 * Why fetch could not connect, in the words the raw engine's errors use: "client error (Connect):
 * dns error: failed to lookup address information: Name or service not known" becomes "failed to
 * lookup address information: Name or service not known".
 */
function connectCause(msg: string): string {
  const m = /(?:dns error|\(Connect\)|connect error|error trying to connect):\s*([^\n]+)/i.exec(
    msg,
  );
  if (m === null) return "cannot connect";
  const inner = m[1]!.replace(/^(?:dns error|tcp connect error|connect error):\s*/i, "")
    .replace(/\s*\(os error \d+\)/g, "").trim();
  return inner === "" ? "cannot connect" : inner;
}

/**
 * "invalid peer certificate: ..." out of a fetch error, up to the parenthesis that closes the
 * wrapping message: the reason may nest its own ("Other(OtherError(CaUsedAsEndEntity))", which
 * openssl's default self-signed certificate gets), so stopping at the first ")" would cut it.
 */
function certificateCause(msg: string): string | null {
  const at = msg.search(/invalid peer certificate/i);
  if (at < 0) return null;
  let depth = 0;
  let end = at;
  for (; end < msg.length; end++) {
    const c = msg[end];
    if (c === "\n" || (c === ")" && depth === 0)) break;
    if (c === "(") depth++;
    else if (c === ")") depth--;
  }
  return msg.slice(at, end).trim();
}
