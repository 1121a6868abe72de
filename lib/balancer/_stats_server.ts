/**
 * The stats port: a deliberately small HTTP/1.1 server (one request per connection, then close)
 * for `GET /stats` and `GET /metrics`. Not `Deno.serve`: out of descriptors, its accept loop
 * rejects a promise nobody can catch and the whole balancer dies; this one pauses and goes on.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { OverloadLog } from "./engines/_overload.ts";

const MAX_HEAD = 8192;
const READ_TIMEOUT_MS = 5000;
const PAUSE_MS = 100;
const enc = new TextEncoder();

/** A running stats server. */
export class StatsServer {
  readonly addr: Deno.NetAddr;
  #listener: Deno.TcpListener;
  #handler: (req: Request) => Response;
  #conns = new Set<Deno.TcpConn>();
  #accepting: Promise<void>;
  #overload: OverloadLog;
  #closed = false;

  /** Listens at once; throws what `Deno.listen` throws. */
  constructor(host: string, port: number, handler: (req: Request) => Response, log: Logger) {
    this.#listener = Deno.listen({ hostname: host, port });
    this.addr = this.#listener.addr;
    this.#handler = handler;
    this.#overload = new OverloadLog(log);
    this.#accepting = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        if (err instanceof Deno.errors.ConnectionAborted) continue;
        this.#overload.note(`stats: accept failed: ${(err as Error).message}; pausing`);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        continue;
      }
      this.#conns.add(conn);
      this.#serve(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed already */ }
      });
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const head = await readHead(conn);
    if (head === undefined) return;
    const [method = "", target = "/"] = head.split("\r\n", 1)[0]!.split(" ");
    let res: Response;
    try {
      res = this.#handler(new Request(new URL(target, "http://stats"), { method }));
    } catch {
      res = new Response("Bad request\n", { status: 400 });
    }
    const body = method === "HEAD" ? new Uint8Array() : new Uint8Array(await res.arrayBuffer());
    let text = `HTTP/1.1 ${res.status} ${res.statusText || "OK"}\r\n`;
    for (const [k, v] of res.headers) text += `${k}: ${v}\r\n`;
    const length = method === "HEAD" ? Number(res.headers.get("content-length") ?? 0) : body.length;
    text += `content-length: ${length}\r\nconnection: close\r\n\r\n`;
    const headBytes = enc.encode(text);
    const out = new Uint8Array(headBytes.length + body.length);
    out.set(headBytes);
    out.set(body, headBytes.length);
    for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
  }

  /** Stops listening and closes every open connection. */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* closed already */ }
    await this.#accepting;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed already */ }
    }
    this.#overload.close();
  }
}

/** Reads a request head (through the blank line), or undefined when it never comes whole. */
async function readHead(conn: Deno.TcpConn): Promise<string | undefined> {
  const buf = new Uint8Array(MAX_HEAD);
  let got = 0;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed already */ }
  }, READ_TIMEOUT_MS);
  try {
    while (got < MAX_HEAD) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) return undefined;
      got += n;
      const text = new TextDecoder().decode(buf.subarray(0, got));
      if (text.includes("\r\n\r\n")) return text;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
