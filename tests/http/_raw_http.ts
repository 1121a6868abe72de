/**
 * A minimal HTTP/1.1 client over a raw socket, for tests that must send a request target exactly
 * as written (fetch normalises `..` and adds Accept-Encoding) and see the bytes exactly as sent.
 *
 * @module
 */

/** A request as a test case writes it. */
export interface RawRequest {
  method?: string;
  /** The request target exactly as sent: origin-form, absolute-form or `*`. */
  path: string;
  headers?: Record<string, string>;
  /** The Host header as sent; null sends none. @default {"127.0.0.1:PORT"} */
  host?: string | null;
  /** @default {"HTTP/1.1"} */
  version?: "HTTP/1.0" | "HTTP/1.1";
}

/** What came back. */
export interface RawReply {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** The parts, one after the other, in one new array. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function dechunk(data: Uint8Array): Uint8Array {
  const dec = new TextDecoder();
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf(13, at);
    const size = parseInt(dec.decode(data.subarray(at, eol)), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return concat(parts);
}

/** Sends one request on a fresh connection (`Connection: close`) and reads the whole reply. */
export async function rawRequest(port: number, req: RawRequest): Promise<RawReply> {
  const method = req.method ?? "GET";
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [`${method} ${req.path} ${req.version ?? "HTTP/1.1"}`, "connection: close"];
  const host = req.host === undefined ? `127.0.0.1:${port}` : req.host;
  if (host !== null) lines.push(`host: ${host}`);
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`${k}: ${v}`);
  await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`));
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    parts.push(buf.slice(0, n));
  }
  const data = concat(parts);
  let headEnd = -1;
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 13 && data[i + 3] === 10) {
      headEnd = i;
      break;
    }
  }
  if (headEnd < 0) throw new Error(`No response head from 127.0.0.1:${port}${req.path}`);
  const [statusLine, ...headerLines] = new TextDecoder().decode(data.subarray(0, headEnd))
    .split("\r\n");
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body = data.subarray(headEnd + 4);
  if (headers.get("transfer-encoding")?.includes("chunked")) body = dechunk(body);
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}
