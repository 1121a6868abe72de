/**
 * The stats port on the epoll engine's own event loop: one request per connection, answered
 * and closed. It answers in the same loop turn as the proxied traffic, however busy that is, and
 * its listener survives running out of descriptors like the main one.
 *
 * @module
 */
import {
  errnoError,
  type EventLoop,
  Handle,
  LINUX as C,
  type ListenerHandlers,
  type SocketHandler,
  TcpListener,
} from "../../loop/mod.ts";
import type { Logger } from "@logtape/logtape";
import type { StatsEndpoint } from "./frontend.ts";
import { OverloadLog } from "./_overload.ts";

const MAX_HEAD = 8192;
const TIMEOUT_MS = 5000;
const dec = new TextDecoder();

/**
 * Serves the stats port on `loop` (both epoll frontends, tcp and http mode): failed accepts are
 * logged on `log` at most once a second, with a count.
 */
export function serveLoopStats(
  loop: EventLoop,
  log: Logger,
  host: string,
  port: number,
  respond: (head: string) => Uint8Array,
): StatsEndpoint {
  const overload = new OverloadLog(log);
  const server = new LoopStatsServer(
    loop,
    host,
    port,
    respond,
    (errno, count) =>
      overload.note(
        `stats: accept failed: ${errnoError(errno, "accept4").message}; pausing`,
        count,
      ),
  );
  return {
    addr: server.addr,
    close: async () => {
      await server.close();
      overload.close();
    },
  };
}

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
    if (!conn.start()) return;
    this.conns.add(conn);
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
class StatsConn implements SocketHandler {
  #server: LoopStatsServer;
  #h: Handle;
  #head = new Uint8Array(MAX_HEAD);
  #got = 0;
  #out: Uint8Array | undefined;

  constructor(server: LoopStatsServer, fd: number) {
    this.#server = server;
    this.#h = new Handle(server.loop, fd, this);
  }

  /** Registers the socket and its deadline; false (and closed) when it cannot be registered. */
  start(): boolean {
    if (this.#h.watch(this) !== 0) return !this.#h.close();
    this.#h.setDeadline(this.#server.loop.now + TIMEOUT_MS);
    return true;
  }

  onReadable(): void {
    const { loop } = this.#server;
    const h = this.#h;
    while (this.#out === undefined && !h.closed) {
      if (this.#got === MAX_HEAD) return this.close();
      const n = loop.recv(h.fd, this.#head.subarray(this.#got), MAX_HEAD - this.#got);
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
    if (out === undefined || this.#h.closed) return;
    const n = this.#server.loop.send(this.#h.fd, out, out.length);
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
    if (this.#h.close()) this.#server.conns.delete(this);
  }
}
