/**
 * Turns a `Response` from the handler into an HTTP/1.1 response head and says how its body is
 * framed: Content-Length when sized, chunked otherwise (close-delimited for HTTP/1.0), and no
 * body at all for HEAD, 1xx, 204 and 304.
 *
 * @module
 */
import { reasonOf } from "./_status.ts";

/** How the body follows the head. */
export type Framing = "none" | "length" | "chunked" | "close";

/** A serialized head and the framing of what follows it. */
export interface SerializedHead {
  text: string;
  framing: Framing;
  /** Content-Length for "length", else -1. */
  length: number;
  /** Whether the connection stays open after this response. */
  keepAlive: boolean;
}

/** What the head depends on besides the response. */
export interface HeadContext {
  /** The request was HEAD: headers as for GET, no body. */
  head: boolean;
  /** The request's HTTP minor version. */
  minor: number;
  /** Whether the request asked to keep the connection. */
  keepAlive: boolean;
  /** The current Date value. */
  date: string;
}

/** Fields the engine owns; a handler's copy is dropped. */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "date", "upgrade"]);

/** Builds the head for `res` as answered to a request described by `ctx`. */
export function serializeHead(res: Response, ctx: HeadContext): SerializedHead {
  const status = res.status;
  let text = `HTTP/1.1 ${status} ${res.statusText || reasonOf(status)}\r\n`;
  let length = -1;
  for (const [name, value] of res.headers) {
    if (HOP.has(name)) continue;
    if (name === "content-length") {
      if (status === 204 || status < 200) continue;
      length = Number(value);
    }
    text += `${name}: ${value}\r\n`;
  }
  let framing: Framing;
  let keepAlive = ctx.keepAlive;
  if (ctx.head || status === 204 || status === 304 || status < 200) framing = "none";
  else if (length >= 0) framing = "length";
  else if (res.body === null) {
    text += "content-length: 0\r\n";
    framing = "none";
  } else if (ctx.minor >= 1) {
    text += "transfer-encoding: chunked\r\n";
    framing = "chunked";
  } else {
    framing = "close";
    keepAlive = false;
  }
  text += `date: ${ctx.date}\r\n`;
  if (!keepAlive) text += "connection: close\r\n";
  else if (ctx.minor === 0) text += "connection: keep-alive\r\n";
  return { text: `${text}\r\n`, framing, length: framing === "length" ? length : -1, keepAlive };
}

/**
 * A plain-text error answer the engine sends itself (parse errors, timeouts), then closes.
 *
 * @param fields the site's own header lines (`--header`), each ending in CRLF
 */
export function errorHead(status: number, server: string, date: string, fields = ""): string {
  const body = `${status} ${reasonOf(status)}\n`;
  const allow = status === 405 ? "allow: GET, HEAD\r\n" : "";
  return `HTTP/1.1 ${status} ${reasonOf(status)}\r\nserver: ${server}\r\n${fields}${allow}` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
    `date: ${date}\r\nconnection: close\r\n\r\n${body}`;
}
