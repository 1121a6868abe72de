/**
 * The raw engine's request bytes: built once per request shape (and per line and body of a
 * many-requests table), so sending a request is one write of a ready buffer.
 *
 * @module
 */
import { VERSION } from "../../version.ts";
import type { RequestSpec } from "../engine.ts";
import { bodyBytes, type RequestTable } from "../request_table.ts";

/** Builds the bytes of the request once: `Host`, `User-Agent` and `Accept` unless the user set them. */
export function buildRequestBytes(spec: RequestSpec): Uint8Array {
  const u = spec.url;
  const has = (name: string) => spec.headers.some(([k]) => k.toLowerCase() === name);
  let head = `${spec.method} ${u.pathname}${u.search} HTTP/1.1\r\n`;
  if (!has("host")) head += `Host: ${u.host}\r\n`;
  if (!has("user-agent")) head += `User-Agent: netlab-bench/${VERSION}\r\n`;
  if (!has("accept")) head += "Accept: */*\r\n";
  for (const [k, v] of spec.headers) head += `${k}: ${v}\r\n`;
  if (!spec.keepAlive && !has("connection")) head += "Connection: close\r\n";
  if (spec.body !== null && !has("content-length")) {
    head += `Content-Length: ${spec.body.byteLength}\r\n`;
  }
  head += "\r\n";
  const headBytes = new TextEncoder().encode(head);
  if (spec.body === null) return headBytes;
  const all = new Uint8Array(headBytes.byteLength + spec.body.byteLength);
  all.set(headBytes);
  all.set(spec.body, headBytes.byteLength);
  return all;
}

/**
 * The bytes of each request of a table, built once per line and body on first use (at most lines ×
 * bodies buffers), so a request costs a lookup as a single-request run does.
 */
export class TableBytes {
  #spec: RequestSpec;
  #table: RequestTable;
  #built = new Map<number, Uint8Array>();
  readonly head: boolean[];

  constructor(spec: RequestSpec, table: RequestTable) {
    this.#spec = spec;
    this.#table = table;
    this.head = table.lines.map((l) => l.method === "HEAD");
  }

  get(line: number, body: number): Uint8Array {
    const key = line * (this.#table.bodies.length + 1) + body + 1;
    let bytes = this.#built.get(key);
    if (bytes === undefined) {
      const l = this.#table.lines[line]!;
      bytes = buildRequestBytes({
        ...this.#spec,
        url: l.url,
        method: l.method,
        headers: l.headers,
        body: bodyBytes(this.#table, line, body),
      });
      this.#built.set(key, bytes);
    }
    return bytes;
  }
}
