/** Real TCP backends for the balancer tests: each listens on 127.0.0.1, port 0 unless given. */
import { configure, type LogLevel, type LogRecord, reset } from "@logtape/logtape";
import { plainLine } from "../../lib/cli/logging.ts";
import { type Balancer, type BalancerOptions, startBalancer } from "../../lib/balancer/balancer.ts";
import type { EngineName } from "../../lib/balancer/transport/transport.ts";

/** A tiny TCP server that can be stopped and started again on the same port. */
export class TestBackend implements AsyncDisposable {
  readonly name: string;
  #handler: (conn: Deno.TcpConn) => Promise<void>;
  #listener: Deno.TcpListener | undefined;
  #conns = new Set<Deno.TcpConn>();
  #tasks = new Set<Promise<void>>();
  #loop: Promise<void> = Promise.resolve();
  port = 0;
  accepted = 0;

  constructor(name: string, handler: (conn: Deno.TcpConn) => Promise<void>) {
    this.name = name;
    this.#handler = handler;
  }

  /** Listens (again) on the same port it had, or a free one the first time. */
  start(): this {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.port = this.#listener.addr.port;
    this.#loop = this.#accept(this.#listener);
    return this;
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for await (const conn of listener) {
      this.accepted++;
      this.#conns.add(conn);
      const task = this.#handler(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed by the handler */ }
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  /** Closes the listener and every open connection, like a process that died. */
  async stop(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    this.#conns.clear();
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Writes every byte of `data`. */
export async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Reads until EOF and returns everything. */
export async function readAll(
  conn: { read(p: Uint8Array): Promise<number | null> },
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Echoes everything back; on the client's FIN, finishes and closes (half-close aware). */
export function echoBackend(name = "echo"): TestBackend {
  return new TestBackend(name, async (conn) => {
    const buf = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      await writeAll(conn, buf.subarray(0, n));
    }
  }).start();
}

/** Says its name and closes at once. */
export function nameBackend(name: string): TestBackend {
  return new TestBackend(name, async (conn) => {
    await writeAll(conn, new TextEncoder().encode(name));
  }).start();
}

/** Reads one line, answers `name` and closes: a minimal request/response protocol. */
export function requestBackend(name: string): TestBackend {
  return new TestBackend(name, async (conn) => {
    const buf = new Uint8Array(1024);
    let got = "";
    while (!got.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) return;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    await writeAll(conn, new TextEncoder().encode(name));
  }).start();
}

/** Connects to the balancer, optionally sends `line`, and returns what comes back until EOF. */
export async function ask(port: number, line?: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (line !== undefined) await writeAll(conn, new TextEncoder().encode(line));
  return new TextDecoder().decode(await readAll(conn));
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Collects `netlab.*` log lines in memory for the duration of one test, from `lowestLevel` up
 * ("warning" is what `--quiet` keeps).
 */
export async function collectLogs(
  lowestLevel: LogLevel = "info",
): Promise<{ lines: string[] } & AsyncDisposable> {
  const lines: string[] = [];
  await configure({
    reset: true,
    sinks: { mem: (r: LogRecord) => lines.push(plainLine(r)) },
    loggers: [
      { category: ["netlab"], sinks: ["mem"], lowestLevel },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  return { lines, [Symbol.asyncDispose]: () => reset() };
}

/** The socket engines every balancer suite runs on (epoll exists on Linux only). */
export const ENGINES: readonly EngineName[] = Deno.build.os === "linux" ? ["epoll", "deno"] : [
  "deno",
];

/** Registers one test per engine, named `name (engine)`. */
export function engineTest(
  name: string,
  fn: (engine: EngineName) => Promise<void>,
  options: { ignore?: boolean } = {},
): void {
  for (const engine of ENGINES) {
    Deno.test({
      name: `${name} (${engine})`,
      ignore: options.ignore ?? false,
      fn: () => fn(engine),
    });
  }
}

/** startBalancer() on `engine`; throws when it fell back to another engine instead. */
export async function startOn(
  engine: EngineName,
  options: Omit<BalancerOptions, "engine">,
): Promise<Balancer> {
  const lb = await startBalancer({ ...options, engine });
  if (lb.engine !== engine) {
    await lb.stop(0);
    throw new Error(`Asked for the ${engine} engine, got ${lb.engine}`);
  }
  return lb;
}
