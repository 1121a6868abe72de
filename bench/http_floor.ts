/**
 * The floor of a keep-alive HTTP/1.1 proxy on netlab's loop and FFI, not shipped: what
 * `netlab balance --mode http` would cost per request with none of its own layer (strategies,
 * pools with queues, header rewriting, stats, deadlines, logs). Each client connection reads a
 * request head with the strict parser of `lib/http1/`, adds `X-Forwarded-For`, sends it to the
 * next backend in turn over an idle keep-alive connection (one opened when none is idle), reads
 * the response head with the http mode's response parser (for its length) and copies the
 * response back verbatim. No request bodies, no pipelining, no timeouts: a measuring stick for
 * `bench/http_floor_compare.ts`, never a proxy to run.
 *
 * `deno run -A bench/http_floor.ts PORT BACKEND_PORT...`
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  encodeSockAddr,
  EventLoop,
  Handle,
  LINUX as C,
  type SockAddr,
  type SocketHandler,
  TcpListener,
} from "../lib/loop/mod.ts";
import { RequestParser } from "../lib/http1/_parser.ts";
import { INCOMPLETE, INVALID, ResponseHead } from "../lib/balancer/http/_response_head.ts";

const loop = new EventLoop();
const buf = new Uint8Array(64 * 1024);
const head = new Uint8Array(16 * 1024);
const parser = new RequestParser();
const res = new ResponseHead();
const XFF = new TextEncoder().encode("X-Forwarded-For: 127.0.0.1\r\n\r\n");

/** A backend connection: idle in its backend's stack, or serving one client. */
class Up implements SocketHandler {
  handle: Handle | null = null;
  client: Client | null = null;
  connected = false;
  left = -1; // response bytes still to come; -1 while the head is awaited
  pending: Uint8Array | null = null;
  constructor(readonly idle: Up[]) {}

  onWritable(): void {
    if (this.connected) return;
    this.connected = true;
    loop.setOption(this.handle!.fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    const p = this.pending!;
    this.pending = null;
    loop.send(this.handle!.fd, p, p.length);
  }

  onReadable(): void {
    const c = this.client;
    if (c === null) return this.onHangup();
    const fd = this.handle!.fd;
    for (;;) {
      const n = loop.recv(fd, buf, buf.length);
      if (n <= 0) {
        if (n !== -C.EAGAIN) return this.onHangup();
        return;
      }
      let body = n;
      if (this.left < 0) {
        const h = res.parse(buf, 0, n, false);
        if (h === INCOMPLETE || h === INVALID || res.contentLength < 0) return this.onHangup();
        this.left = res.contentLength;
        body = n - h;
      }
      loop.send(c.fd, buf, n);
      this.left -= body;
      if (this.left <= 0) {
        this.left = -1;
        this.client = null;
        c.up = null;
        this.idle.push(this);
        return;
      }
      if (n < buf.length) return;
    }
  }

  onHangup(): void {
    const c = this.client;
    this.client = null;
    const i = this.idle.indexOf(this);
    if (i >= 0) this.idle.splice(i, 1);
    this.handle?.close();
    if (c !== null) c.close();
  }
}

/** A client connection. */
class Client implements SocketHandler {
  up: Up | null = null;
  closed = false;
  constructor(readonly fd: number) {}

  onReadable(): void {
    for (;;) {
      const n = loop.recv(this.fd, buf, buf.length);
      if (n <= 0) {
        if (n !== -C.EAGAIN) this.close();
        return;
      }
      const h = parser.parse(buf, 0, n);
      if (h <= 0 || h !== n) return this.close(); // no pipelining, no bodies, no partial heads
      head.set(buf.subarray(0, h - 2));
      head.set(XFF, h - 2);
      this.#forward(h - 2 + XFF.length);
      if (n < buf.length) return;
    }
  }

  #forward(len: number): void {
    const b = backends[next]!;
    next = (next + 1) % backends.length;
    let up = b.idle.pop();
    if (up === undefined) {
      up = new Up(b.idle);
      const handle = Handle.connect(loop, b.addr, up);
      if (typeof handle === "number") return this.close();
      up.handle = handle;
      up.pending = head.slice(0, len);
    } else {
      loop.send(up.handle!.fd, head, len);
    }
    up.client = this;
    this.up = up;
  }

  onWritable(): void {}
  onHangup(): void {
    this.close();
  }

  close(): void {
    const up = this.up;
    this.up = null;
    if (up !== null) up.onHangup();
    if (!this.closed) loop.close(this.fd);
    this.closed = true;
  }
}

const [port, ...backendPorts] = Deno.args.map(Number);
const backends: { addr: SockAddr; idle: Up[] }[] = backendPorts.map((p) => ({
  addr: encodeSockAddr("127.0.0.1", p),
  idle: [],
}));
let next = 0;
new TcpListener(loop, { host: "127.0.0.1", port: port! }, {
  onAccept(fd) {
    loop.watch(fd, new Client(fd));
  },
});
console.error(`http floor prototype on 127.0.0.1:${port}`);
