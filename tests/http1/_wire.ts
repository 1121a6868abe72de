/**
 * Raw-socket helpers for the epoll engine's tests: write bytes exactly as given, read until the
 * server closes, and split what came back into responses.
 *
 * @module
 */

/** One parsed response. */
export interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

/** How long a test waits for a close that must come before it calls the server stuck. */
export const GUARD_MS = 30_000;

/** Reads until the peer closes; throws if it has not closed within `guardMs`. */
export async function readToEnd(conn: Deno.Conn, guardMs = GUARD_MS): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<"stuck">((r) => timer = setTimeout(() => r("stuck"), guardMs));
  try {
    while (true) {
      const n = await Promise.race([conn.read(buf).catch(() => null), guard]);
      if (n === "stuck") throw new Error(`The server kept the connection open for ${guardMs} ms`);
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Sends `request` on a new connection and returns everything until the server closes. */
export async function exchange(port: number, request: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, new TextEncoder().encode(request));
  return new TextDecoder("latin1").decode(await readToEnd(conn)); // byte for byte
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Splits `text` into responses; `heads[i]` says whether the i-th answers a HEAD (no body).
 * Throws on anything that is not a well-formed HTTP/1.1 response.
 */
export function splitReplies(text: string, heads: boolean[] = []): Reply[] {
  const out: Reply[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\r\n\r\n", at);
    if (end < 0) throw new Error(`Incomplete response head at ${at}: ${text.slice(at, at + 80)}`);
    const [statusLine, ...lines] = text.slice(at, end).split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(statusLine!);
    if (!m) throw new Error(`Bad status line: ${JSON.stringify(statusLine)}`);
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(": ");
      if (colon <= 0) throw new Error(`Bad header line: ${JSON.stringify(line)}`);
      headers.append(line.slice(0, colon), line.slice(colon + 2));
    }
    at = end + 4;
    const status = Number(m[1]);
    let body = "";
    const noBody = heads[out.length] === true || status === 204 || status === 304 ||
      status < 200;
    if (!noBody && headers.has("content-length")) {
      const n = Number(headers.get("content-length"));
      body = text.slice(at, at + n);
      if (body.length !== n) throw new Error(`Short body: ${body.length} of ${n}`);
      at += n;
    } else if (!noBody && headers.get("transfer-encoding") === "chunked") {
      while (true) {
        const eol = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, eol), 16);
        if (!(size >= 0)) throw new Error(`Bad chunk size at ${at}`);
        at = eol + 2;
        body += text.slice(at, at + size);
        at += size + 2;
        if (size === 0) break;
      }
    }
    out.push({ status, headers, body });
  }
  return out;
}
