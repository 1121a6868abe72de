/** Sends raw bytes on a fresh connection and returns what the server answers before closing. */
export async function rawExchange(
  port: number,
  request: string | Uint8Array,
  opts: { hostname?: string; readTimeoutMs?: number } = {},
): Promise<string> {
  using conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port });
  const bytes = typeof request === "string" ? new TextEncoder().encode(request) : request;
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  } catch (err) {
    // the server may close early (e.g. on an oversized header) before we finish writing
    if (!(err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset)) {
      throw err;
    }
  }
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  const deadline = Date.now() + (opts.readTimeoutMs ?? 3000);
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      // a reset, or the close below ending a read still pending after a timeout
      conn.read(buf).catch(() => null),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), deadline - Date.now())),
    ]);
    clearTimeout(timer);
    if (n === null || n === "timeout") break;
    chunks.push(buf.slice(0, n));
    // one complete response is enough when the server keeps the connection open
    const text = new TextDecoder().decode(concat(chunks));
    const m = /content-length: (\d+)/i.exec(text);
    const headEnd = text.indexOf("\r\n\r\n");
    if (m && headEnd >= 0 && text.length >= headEnd + 4 + Number(m[1])) break;
  }
  return new TextDecoder().decode(concat(chunks));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
