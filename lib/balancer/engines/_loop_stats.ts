/**
 * The stats port on the epoll engine's own event loop: one request per connection, answered
 * and closed. It answers in the same loop turn as the proxied traffic, however busy that is, and
 * its listener survives running out of descriptors like the main one.
 *
 * @module
 */
import {
  type EventLoop,
  LINUX as C,
  type ListenerHandlers,
  type SocketHandler,
  TcpListener,
  type Timed,
} from "../../loop/mod.ts";
import type { StatsEndpoint } from "./frontend.ts";

const MAX_HEAD = 8192;
const TIMEOUT_MS = 5000;
const dec = new TextDecoder();

/** A stats server on an event loop. */
export class LoopStatsServer implements StatsEndpoint, ListenerHandlers {
  readonly addr: Deno.NetAddr;
  readonly loop: EventLoop;
  readonly respond: (head: string) => Uint8Array;
  readonly conns = new Set<StatsConn>();
  #listener: TcpListener;
  #onOverload: (errno: number, count: number) => void;

  /** Listens at once; throws what `Deno.listen` throws. */
  constructor(
    loop: EventLoop,
    host: string,
    port: number,
    respond: (head: string) => Uint8Array,
    onOverload: (errno: number, count: number) => void,
  ) {
    this.loop = loop;
    this.respond = respond;
    this.#onOverload = onOverload;
    this.#listener = new TcpListener(loop, { host, port }, this);
    this.addr = this.#listener.addr;
  }

  onAccept(fd: number): void {
    const conn = new StatsConn(this, fd);
    if (this.loop.watch(fd, conn) !== 0) return this.loop.close(fd);
    this.conns.add(conn);
    this.loop.setDeadline(conn, this.loop.now + TIMEOUT_MS);
  }

  onOverload(errno: number, count: number): void {
    this.#onOverload(errno, count);
  }

  close(): Promise<void> {
    this.#listener.close();
    for (const c of [...this.conns]) c.close();
    return Promise.resolve();
  }
}

/** One stats request: read its head, send the answer, close. */
class StatsConn implements SocketHandler, Timed {
  timerSlot = -1;
  #server: LoopStatsServer;
  #fd: number;
  #head = new Uint8Array(MAX_HEAD);
  #got = 0;
  #out: Uint8Array | undefined;
  #closed = false;

  constructor(server: LoopStatsServer, fd: number) {
    this.#server = server;
    this.#fd = fd;
  }

  onReadable(): void {
    const { loop } = this.#server;
    while (this.#out === undefined && !this.#closed) {
      if (this.#got === MAX_HEAD) return this.close();
      const n = loop.recv(this.#fd, this.#head.subarray(this.#got), MAX_HEAD - this.#got);
      if (n === -C.EAGAIN) return;
      if (n <= 0) return this.close();
      this.#got += n;
      const text = dec.decode(this.#head.subarray(0, this.#got));
      if (text.includes("\r\n\r\n")) {
        this.#out = this.#server.respond(text);
        this.onWritable();
      }
    }
  }

  onWritable(): void {
    const out = this.#out;
    if (out === undefined || this.#closed) return;
    const n = this.#server.loop.send(this.#fd, out, out.length);
    if (n === -C.EAGAIN) return;
    if (n < 0 || n === out.length) return this.close();
    this.#out = out.subarray(n);
  }

  onHangup(): void {
    this.close();
  }

  onDeadline(): void {
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { loop } = this.#server;
    loop.clearDeadline(this);
    loop.close(this.#fd);
    this.#server.conns.delete(this);
  }
}
