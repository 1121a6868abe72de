/**
 * The fast path: a cached file's whole answer (status line, headers, body) built once per file,
 * content coding and connection form, and sent with one `send()`. Its Date field is patched in
 * place at most once a second. The bytes are the handler's own answer, recorded the first time
 * the handler served that path, so both paths always agree; an entry is trusted for as long as
 * the handler trusts its cache (1 s), then the handler is asked again.
 *
 * @module
 */
import { DATE_LENGTH, type HttpDate } from "./_date.ts";
import { reasonOf } from "./_status.ts";
import type { RequestParser } from "./_parser.ts";
import { isProvisional } from "../http/compressor.ts";

/** How the connection continues: HTTP/1.1 keep-alive, close, or HTTP/1.0 keep-alive. */
export type ConnForm = 0 | 1 | 2;

/** The Connection field a request's answer carries: 1 close, 2 keep-alive (HTTP/1.0), 0 none. */
export function connForm(p: { keepAlive: boolean; minor: number }): ConnForm {
  return !p.keepAlive ? 1 : p.minor === 0 ? 2 : 0;
}
const CONN_LINES = ["", "connection: close\r\n", "connection: keep-alive\r\n"];

/** Bodies larger than this are never prebuilt (the handler's own memory-cache limit). */
export const MAX_FAST_BODY = 256 * 1024;
const MAX_ENTRIES = 4096;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

const enc = new TextEncoder();

/** One answer (200 or 304) in up to three connection forms, built on first use. */
export class Prebuilt {
  #fields: string;
  #body: Uint8Array | null;
  #forms: (Uint8Array | undefined)[] = [undefined, undefined, undefined];
  #sec = [-1, -1, -1];
  #dateAt = [0, 0, 0];
  /** Length of each form's head (what HEAD sends). */
  headLength = [0, 0, 0];
  /** The answer's status, for the access log. */
  readonly status: number;
  /** Its Content-Length header, for the access log ("-" when none). */
  readonly length: string;

  constructor(res: Response, body: Uint8Array | null) {
    this.#fields = fieldsOf(res);
    this.#body = body;
    this.status = res.status;
    this.length = res.headers.get("content-length") ?? "-";
  }

  /** Bytes of all forms built so far. */
  get size(): number {
    let n = 0;
    for (const f of this.#forms) n += f?.length ?? 0;
    return n + this.#fields.length + (this.#body?.length ?? 0);
  }

  /** The whole answer in connection form `form`, with today's date. */
  answer(form: ConnForm, date: HttpDate): Uint8Array {
    let bytes = this.#forms[form];
    if (bytes === undefined) {
      const head = enc.encode(`${this.#fields}date: ${date.text}\r\n${CONN_LINES[form]}\r\n`);
      bytes = new Uint8Array(head.length + (this.#body?.length ?? 0));
      bytes.set(head);
      if (this.#body !== null) bytes.set(this.#body, head.length);
      this.#forms[form] = bytes;
      this.#sec[form] = date.sec;
      this.#dateAt[form] = head.length - 2 - CONN_LINES[form]!.length - 2 - DATE_LENGTH;
      this.headLength[form] = head.length;
    } else if (this.#sec[form] !== date.sec) {
      bytes.set(date.bytes, this.#dateAt[form]);
      this.#sec[form] = date.sec;
    }
    return bytes;
  }
}

/** A cached path's answers for one Accept-Encoding value. */
export interface FastEntry {
  etag: string;
  ok: Prebuilt;
  /** The handler's 304 for `If-None-Match: <etag>`, once it has answered one. */
  notModified: Prebuilt | null;
  /** When the handler last produced this answer (ms since epoch). */
  checkedAt: number;
}

/** Status line and fields of `res`, without Date and Connection. */
export function fieldsOf(res: Response): string {
  let text = `HTTP/1.1 ${res.status} ${res.statusText || reasonOf(res.status)}\r\n`;
  for (const [name, value] of res.headers) {
    if (name === "connection" || name === "date" || name === "keep-alive") continue;
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

/** Whether a handler's answer to a plain GET may be replayed to the next such request. */
export function replayable(res: Response): boolean {
  const h = res.headers;
  if (res.status !== 200 || !h.has("etag") || h.has("set-cookie") || h.has("content-range")) {
    return false;
  }
  // a plain answer standing in while the compressed one is made: replayed, it would outlive that
  if (isProvisional(res)) return false;
  // the table is keyed by target, Accept-Encoding and Authorization: nothing else may vary
  const vary = h.get("vary");
  if (vary !== null && vary.toLowerCase() !== "accept-encoding") return false;
  const length = Number(h.get("content-length") ?? "x");
  if (!(length <= MAX_FAST_BODY)) return false;
  return !(h.get("cache-control") ?? "").includes("no-store");
}

/** The fast-path table: request target and Accept-Encoding to prebuilt answers. */
export class FastAnswers {
  #entries = new Map<string, FastEntry>();
  #bytes = 0;
  #trustMs: number;

  /** @param trustMs how long a recorded answer is replayed before the handler is asked again */
  constructor(trustMs = 1000) {
    this.#trustMs = trustMs;
  }

  /**
   * The table key of a request. Authorization is part of it: an answer given to credentials is
   * replayed only to the same credentials (the handler checked them when it answered), never to
   * a request without them. Neither value can hold CR or LF, so the key is unambiguous.
   */
  static key(target: string, acceptEncoding: string | null, authorization: string | null): string {
    const key = acceptEncoding === null ? target : `${target}\n${acceptEncoding}`;
    return authorization === null ? key : `${key}\r${authorization}`;
  }

  /** The entry for `key` while it is fresh. */
  find(key: string, now: number): FastEntry | undefined {
    const e = this.#entries.get(key);
    return e !== undefined && now - e.checkedAt < this.#trustMs ? e : undefined;
  }

  /** The prebuilt answer to the request `p` holds, when it is a plain GET or HEAD. */
  forRequest(p: RequestParser, now: number): Prebuilt | undefined {
    if ((p.method !== "GET" && p.method !== "HEAD") || !p.plain) return undefined;
    return this.answerFor(p.target, p.acceptEncoding, p.ifNoneMatch, now, p.authorization);
  }

  /**
   * The prebuilt answer to a plain GET or HEAD of `target`: its 200, or its 304 when
   * `ifNoneMatch` is the entry's ETag; undefined when the handler must answer.
   */
  answerFor(
    target: string,
    acceptEncoding: string | null,
    ifNoneMatch: string | null,
    now: number,
    authorization: string | null = null,
  ): Prebuilt | undefined {
    const entry = this.find(FastAnswers.key(target, acceptEncoding, authorization), now);
    if (entry === undefined) return undefined;
    if (ifNoneMatch === null) return entry.ok;
    return ifNoneMatch === entry.etag ? entry.notModified ?? undefined : undefined;
  }

  /** Records the handler's 200 answer (its body already read) for `key`. */
  rememberOk(key: string, res: Response, body: Uint8Array, now: number): void {
    const etag = res.headers.get("etag")!;
    const known = this.#entries.get(key);
    if (known !== undefined && known.etag === etag) {
      known.checkedAt = now;
      return;
    }
    if (known !== undefined) this.#bytes -= known.ok.size + (known.notModified?.size ?? 0);
    if (this.#entries.size >= MAX_ENTRIES || this.#bytes > MAX_TOTAL_BYTES) {
      this.#entries.clear();
      this.#bytes = 0;
    }
    const ok = new Prebuilt(res, body.slice());
    this.#entries.set(key, { etag, ok, notModified: null, checkedAt: now });
    this.#bytes += body.length * 3 + 1024;
  }

  /** Records the handler's 304 answer to `If-None-Match: <etag>` for `key`. */
  rememberNotModified(key: string, res: Response, ifNoneMatch: string): void {
    const known = this.#entries.get(key);
    if (known === undefined || known.etag !== ifNoneMatch || known.notModified !== null) return;
    known.notModified = new Prebuilt(res, null);
  }
}
