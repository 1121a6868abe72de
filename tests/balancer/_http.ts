/** Helpers for the http-mode balancer tests: Deno.serve backends, raw clients, a balancer. */
import { type Balancer, startBalancer } from "../../lib/balancer/balancer.ts";
import type { BalancerOptions } from "../../lib/balancer/options.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** A Deno.serve backend on port 0 that counts its requests. */
export interface HttpBackend extends AsyncDisposable {
  readonly port: number;
  readonly name: string;
  requests: number;
}

/** Starts a Deno.serve backend answering with `handler` (by default: its name). */
export function httpBackend(
  name: string,
  handler?: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
): HttpBackend {
  const b = { name, requests: 0, port: 0 } as HttpBackend & { requests: number };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
    b.requests++;
    return handler ? handler(req, info) : new Response(name);
  });
  (b as { port: number }).port = server.addr.port;
  b[Symbol.asyncDispose] = () => server.shutdown();
  return b;
}

/** An http-mode balancer over `ports` on 127.0.0.1, port 0, no health checks. */
export function httpBalancer(
  ports: readonly number[],
  options: Partial<BalancerOptions> = {},
): Promise<Balancer> {
  return startBalancer({
    backends: ports.map((port) => ({ host: "127.0.0.1", port, weight: 1 })),
    port: 0,
    healthIntervalMs: 0,
    mode: "http",
    ...options,
  });
}

/** One parsed response from a raw connection. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** A raw client connection that reads whole responses (Content-Length, chunked, or to EOF). */
export class RawClient implements Disposable {
  readonly conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(65536);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  async #line(): Promise<string | null> {
    while (true) {
      const i = this.#buf.indexOf(10);
      if (i >= 0) return dec.decode(this.#take(i + 1)).replace(/\r?\n$/, "");
      if (!await this.#more()) return null;
    }
  }

  async #bytes(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!await this.#more()) return null;
    return this.#take(n);
  }

  /** Reads one response; null when the connection ends first. `head`: no body follows. */
  async read(head = false): Promise<RawResponse | null> {
    const status = await this.#line();
    if (status === null) return null;
    const headers = new Headers();
    while (true) {
      const line = await this.#line();
      if (line === null) return null;
      if (line === "") break;
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const code = Number(status.split(" ")[1]);
    if (head || code < 200 || code === 204 || code === 304) {
      return { status: code, headers, body: new Uint8Array(0) };
    }
    if (headers.get("transfer-encoding")?.includes("chunked")) {
      const parts: Uint8Array[] = [];
      while (true) {
        const size = parseInt((await this.#line()) ?? "", 16);
        if (Number.isNaN(size)) return null;
        if (size === 0) {
          while ((await this.#line()) !== "") { /* trailers */ }
          break;
        }
        const part = await this.#bytes(size);
        if (part === null) return null;
        parts.push(part);
        await this.#line();
      }
      return { status: code, headers, body: concat(parts) };
    }
    const length = headers.get("content-length");
    if (length !== null) {
      const body = await this.#bytes(Number(length));
      return body === null ? null : { status: code, headers, body };
    }
    while (await this.#more()) { /* to EOF */ }
    return { status: code, headers, body: this.#take(this.#buf.length) };
  }

  /** Whether the peer has closed (reads until EOF, dropping what comes). */
  async closed(): Promise<boolean> {
    while (await this.#more()) this.#buf = new Uint8Array(0);
    return true;
  }

  [Symbol.dispose](): void {
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** `GET path` with a Host, as one string. */
export function get(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
}

/**
 * Once `port` takes connections (a proxy just started), sends `n` GETs on one connection and
 * returns their bodies.
 */
export async function bodiesOnOneConnection(port: number, n: number): Promise<string[]> {
  let client: RawClient | undefined;
  for (let i = 0; i < 400 && client === undefined; i++) {
    client = await RawClient.connect(port).catch(() => undefined);
    if (client === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  if (client === undefined) throw new Error(`Nothing listens on port ${port}`);
  using c = client;
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    await c.send(get("/"));
    seen.push(dec.decode((await c.read())!.body));
  }
  return seen;
}

/** The forwarding fields a backend saw (null where it got none). */
export interface ForwardingSeen {
  xff: string | null;
  xfp: string | null;
  forwarded: string | null;
}

/** A backend answering its name, and on `/fwd` the forwarding fields it got, as JSON. */
export function forwardingBackend(name: string): HttpBackend {
  return httpBackend(name, (req) => {
    if (new URL(req.url).pathname !== "/fwd") return new Response(name);
    const h = req.headers;
    const seen: ForwardingSeen = {
      xff: h.get("x-forwarded-for"),
      xfp: h.get("x-forwarded-proto"),
      forwarded: h.get("forwarded"),
    };
    return Response.json(seen);
  });
}

/**
 * Through the proxy on `port`, `GET /fwd` from a client that claims to be behind 10.0.0.9 over
 * https: the forwarding fields the backend (a {@link forwardingBackend}) saw.
 */
export async function forwardingThrough(port: number): Promise<ForwardingSeen> {
  using c = await RawClient.connect(port);
  await c.send(
    "GET /fwd HTTP/1.1\r\nHost: site.example:8080\r\nX-Forwarded-For: 10.0.0.9\r\n" +
      "X-Forwarded-Proto: https\r\nForwarded: for=10.0.0.9;proto=https\r\n\r\n",
  );
  return JSON.parse(dec.decode((await c.read())!.body));
}

/** What a backend sees through a proxy that appends the client (127.0.0.1) as netlab does. */
export const FORWARDED_SEEN: Readonly<Record<"plain" | "forwarded", ForwardingSeen>> = {
  // X-Forwarded-For appended; the client's own X-Forwarded-Proto and Forwarded pass unchanged
  plain: { xff: "10.0.0.9, 127.0.0.1", xfp: "https", forwarded: "for=10.0.0.9;proto=https" },
  // --forwarded: X-Forwarded-Proto set, the client's element appended to Forwarded
  forwarded: {
    xff: "10.0.0.9, 127.0.0.1",
    xfp: "http",
    forwarded: 'for=10.0.0.9;proto=https, for=127.0.0.1;host="site.example:8080";proto=http',
  },
};
