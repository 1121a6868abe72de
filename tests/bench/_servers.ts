/**
 * Test servers on port 0, written with raw `Deno.listen` so every byte on the wire is ours.
 *
 * @module
 */

/** What a test server answers to one request. `null`: say nothing and keep the socket open. */
export type Reply = (
  req: { head: string; index: number; keepAlive: boolean },
) => Answer | Promise<Answer>;

/** Bytes to send and whether to close afterwards; `null`: send nothing, keep the socket open. */
export type Answer = { bytes: Uint8Array; close: boolean } | null;

/** A listening test server; disposing closes the listener and every connection. */
export interface TestServer extends AsyncDisposable {
  url: string;
  port: number;
  /** Requests seen (heads parsed). */
  requests(): number;
  /** Connections accepted. */
  connections(): number;
}

const enc = new TextEncoder();

/** Builds a response with Content-Length unless `chunks` asks for chunked framing. */
export function response(
  body: string,
  opts: { status?: string; keepAlive?: boolean; chunks?: string[]; extra?: string } = {},
): Uint8Array {
  let head = `HTTP/1.1 ${opts.status ?? "200 OK"}\r\nServer: netlab-test\r\n`;
  head += `Connection: ${opts.keepAlive ? "keep-alive" : "close"}\r\n${opts.extra ?? ""}`;
  if (opts.chunks) {
    head += "Transfer-Encoding: chunked\r\n\r\n";
    for (const c of opts.chunks) head += `${enc.encode(c).byteLength.toString(16)}\r\n${c}\r\n`;
    return enc.encode(`${head}0\r\n\r\n`);
  }
  return enc.encode(`${head}Content-Length: ${enc.encode(body).byteLength}\r\n\r\n${body}`);
}

/** Whether a request head asks to keep the connection open (HTTP/1.1 default, or ab's 1.0 header). */
export function wantsKeepAlive(head: string): boolean {
  if (/^connection:\s*close/im.test(head)) return false;
  return /HTTP\/1\.1\r\n/.test(head) || /^connection:\s*keep-alive/im.test(head);
}

/** Starts a server answering each request with `reply`. */
export function startServer(reply: Reply): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  let requests = 0;
  let connections = 0;
  const tasks: Promise<void>[] = [];
  const serveConn = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(16 * 1024);
    let pending = "";
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        pending += new TextDecoder().decode(buf.subarray(0, n));
        let end: number;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          const head = pending.slice(0, end + 4);
          const len = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
          if (pending.length < end + 4 + len) break;
          pending = pending.slice(end + 4 + len);
          const out = await reply({ head, index: requests++, keepAlive: wantsKeepAlive(head) });
          if (out === null) continue;
          let off = 0;
          while (off < out.bytes.length) off += await conn.write(out.bytes.subarray(off));
          if (out.close) {
            conn.close();
            conns.delete(conn);
            return;
          }
        }
      }
    } catch (err) {
      if (
        !(err instanceof Deno.errors.BadResource || err instanceof Deno.errors.ConnectionReset ||
          err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.Interrupted)
      ) throw err;
    }
    if (conns.delete(conn)) conn.close();
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        conns.add(conn);
        tasks.push(serveConn(conn));
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  })();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests: () => requests,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the client side already */ }
      }
      conns.clear();
      await Promise.all(tasks);
    },
  };
}

/** A server that sends `body` with the connection semantics the request asked for. */
export function fixedServer(body: string, extra?: (index: number) => string): TestServer {
  return startServer(({ keepAlive, index }) => ({
    bytes: response(body, { keepAlive, ...(extra ? { extra: extra(index) } : {}) }),
    close: !keepAlive,
  }));
}

/** A port where nothing listens, held so that no other test's listener takes it. */
export { deadPort } from "../_ports.ts";
