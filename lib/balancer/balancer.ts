/**
 * The TCP load balancer's life cycle: listens, accepts clients (each served by `_session.ts`),
 * runs health checks and the stats endpoint, and drains on stop.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { serveClient, type SessionContext } from "./_session.ts";
import { Backend } from "./backend.ts";
import { formatAddress } from "./backend_spec.ts";
import { HealthChecker } from "./health.ts";
import { type BalancerStats, createStatsHandler } from "./stats.ts";
import { counted } from "../runtime/text.ts";
import {
  type BalancerOptions,
  type BalancerSettings,
  ListenFailedError,
  withDefaults,
} from "./options.ts";
import { createStrategy, type Strategy } from "./strategies/mod.ts";
import { selectTransport } from "./transport/select.ts";
import type { Transport, TransportConn, TransportListener } from "./transport/transport.ts";

export { type BalancerOptions, ListenFailedError } from "./options.ts";

/** A running TCP load balancer. Create with {@linkcode startBalancer} or `new` + `start()`. */
export class Balancer implements AsyncDisposable {
  #o: BalancerSettings;
  #statsPort: number | undefined;
  #signal: AbortSignal | undefined;
  #log: Logger;
  #strategy: Strategy;
  #backends: Backend[];
  #health: HealthChecker;
  #transport: Transport;
  #listener: TransportListener | undefined;
  #stats: Deno.HttpServer<Deno.NetAddr> | undefined;
  #sessions = new Set<Promise<void>>();
  #kill = new AbortController();
  #context: SessionContext;
  #accepting: Promise<void> = Promise.resolve();
  #done = Promise.withResolvers<void>();
  #stopping: Promise<void> | undefined;
  /** Put on `options.signal` by start(), taken off by stop(). */
  #onAbort = () => void this.stop();
  #startedAt = 0;
  #total = 0;
  #rejected = 0;
  /** Whether the last client was turned away by maxConns (to warn once per episode). */
  #full = false;
  #unserved = 0;

  constructor(options: BalancerOptions) {
    if (options.backends.length === 0) throw new TypeError("A balancer needs at least one backend");
    this.#o = withDefaults(options);
    this.#statsPort = options.statsPort;
    this.#signal = options.signal;
    this.#log = options.logger ?? getLogger(["netlab", "balance"]);
    const s = options.strategy ?? "round-robin";
    this.#strategy = typeof s === "string" ? createStrategy(s) : s;
    this.#backends = options.backends.map((spec) => new Backend(spec));
    this.#health = new HealthChecker(this.#backends, {
      intervalMs: this.#o.healthIntervalMs,
      timeoutMs: this.#o.connectTimeoutMs,
      rise: this.#o.healthRise,
      fall: this.#o.healthFall,
      logger: this.#log,
    });
    const { transport, notice } = selectTransport(
      options.engine ?? "auto",
      [this.#o.host, ...this.#backends.map((b) => b.host)],
    );
    this.#transport = transport;
    if (notice) this.#log.warn(notice);
    this.#context = {
      transport,
      backends: this.#backends,
      strategy: this.#strategy,
      settings: this.#o,
      health: this.#health,
      log: this.#log,
      kill: this.#kill.signal,
      spare: [],
    };
  }

  /** The address the balancer listens on (port 0 resolved); throws before `start()`. */
  get addr(): Deno.NetAddr {
    if (!this.#listener) throw new Error("The balancer is not listening yet");
    return this.#listener.addr;
  }

  /** The socket engine in use: `epoll` or `deno`. */
  get engine(): "epoll" | "deno" {
    return this.#transport.name;
  }

  /** The stats server's address, when `statsPort` was given. */
  get statsAddr(): Deno.NetAddr | undefined {
    return this.#stats?.addr;
  }

  /** The backends with their live counters, in configured order. */
  get backends(): readonly Backend[] {
    return this.#backends;
  }

  /** Resolves once the balancer has stopped and every connection is closed. */
  get finished(): Promise<void> {
    return this.#done.promise;
  }

  /**
   * Listens and starts accepting; resolves with the bound address once listening. After a
   * failure, `stop()` releases the socket engine (the epoll engine holds descriptors).
   *
   * @throws {ListenFailedError} with the `Deno.listen` error as `cause`.
   */
  start(): Promise<Deno.NetAddr> {
    try {
      return Promise.resolve(this.#listen());
    } catch (err) {
      return Promise.reject(err); // a rejection, as the signature promises, not a throw
    }
  }

  #listen(): Deno.NetAddr {
    if (this.#listener) return this.#listener.addr;
    const { host, port } = this.#o;
    try {
      this.#listener = this.#transport.listen(host, port);
    } catch (err) {
      throw new ListenFailedError(host, port, err);
    }
    if (this.#statsPort !== undefined) {
      try {
        this.#stats = Deno.serve({
          hostname: host,
          port: this.#statsPort,
          onListen: () => {},
        }, createStatsHandler(() => this.stats()));
      } catch (err) {
        this.#listener.close();
        this.#listener = undefined;
        throw new ListenFailedError(host, this.#statsPort, err, "stats");
      }
    }
    this.#startedAt = Date.now();
    const addr = this.#listener.addr;
    this.#log.info(`listening on ${formatAddress(addr.hostname, addr.port)}`, {
      host: addr.hostname,
      port: addr.port,
      engine: this.#transport.name,
      strategy: this.#strategy.name,
      backends: this.#backends.map((b) => b.address),
    });
    if (this.#stats) {
      const s = this.#stats.addr;
      this.#log.info(`stats on http://${formatAddress(s.hostname, s.port)}/stats and /metrics`);
    }
    if (this.#o.healthIntervalMs > 0) this.#health.start();
    this.#accepting = this.#acceptLoop(this.#listener);
    if (this.#signal?.aborted) void this.stop();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    return addr;
  }

  /**
   * Stops accepting, lets open connections finish for up to `drainTimeoutMs`, then closes the
   * rest; resolves when everything is closed. Calling it again returns the same promise.
   */
  stop(drainTimeoutMs: number = this.#o.drainTimeoutMs): Promise<void> {
    this.#stopping ??= this.#stop(drainTimeoutMs);
    return this.#stopping;
  }

  async #stop(drainTimeoutMs: number): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (!this.#listener) {
      await this.#transport.close();
      return this.#done.resolve();
    }
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    // the socket really stops listening only once the pending accept has settled
    await this.#accepting;
    await this.#health.stop();
    const open = this.#sessions.size;
    if (open > 0) {
      this.#log.info(`draining ${counted(open, "open connection")} (up to ${drainTimeoutMs} ms)`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        Promise.all(this.#sessions).then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), drainTimeoutMs)),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.#log.warn(
          `closing ${counted(this.#sessions.size, "connection")} still open after drain timeout`,
        );
        this.#kill.abort();
        await Promise.all(this.#sessions);
      }
    }
    await this.#stats?.shutdown();
    await this.#transport.close();
    this.#log.info(`stopped after ${counted(this.#total, "connection")}`, { total: this.#total });
    this.#done.resolve();
  }

  /** Stops at once (no drain). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop(0);
  }

  /** The counters at this moment. */
  stats(): BalancerStats {
    const addr = this.#listener?.addr;
    return {
      listening: addr ? formatAddress(addr.hostname, addr.port) : "",
      strategy: this.#strategy.name,
      uptimeSeconds: this.#startedAt ? (Date.now() - this.#startedAt) / 1000 : 0,
      active: this.#sessions.size,
      total: this.#total,
      rejected: this.#rejected,
      unserved: this.#unserved,
      bytesUp: this.#backends.reduce((n, b) => n + b.bytes.up, 0),
      bytesDown: this.#backends.reduce((n, b) => n + b.bytes.down, 0),
      backends: this.#backends.map((b) => ({
        address: b.address,
        weight: b.weight,
        state: b.state,
        active: b.active,
        total: b.total,
        bytesUp: b.bytes.up,
        bytesDown: b.bytes.down,
        failures: b.failures,
      })),
    };
  }

  async #acceptLoop(listener: TransportListener): Promise<void> {
    while (true) {
      let conn: TransportConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) break;
        // the client reset before we took it (a port scan, an impatient client): nothing to serve,
        // and no reason to pause accepting for everyone else
        if (
          err instanceof Deno.errors.NotConnected ||
          err instanceof Deno.errors.ConnectionReset ||
          err instanceof Deno.errors.ConnectionAborted
        ) continue;
        // e.g. out of file descriptors: say so, breathe, keep serving the connections we have
        this.#log.error(`accept failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
        if (this.#stopping) break;
        continue;
      }
      this.#total++;
      if (this.#sessions.size >= this.#o.maxConns) {
        // said once per episode, not once per client: a full balancer must not also flood its log
        if (!this.#full) {
          this.#log.warn(
            `${this.#o.maxConns} connections open (max-conns): closing new ones until one ends`,
          );
        }
        this.#full = true;
        this.#rejected++;
        conn.close();
        continue;
      }
      this.#full = false;
      const session = serveClient(conn, this.#context).then((served) => {
        if (!served) this.#unserved++;
      }).catch((err) => {
        this.#log.error(`connection failed: ${(err as Error).message}`);
        try {
          conn.close();
        } catch { /* already closed */ }
      }).finally(() => this.#sessions.delete(session));
      this.#sessions.add(session);
    }
  }
}

/**
 * Creates a balancer and starts listening.
 *
 * @throws {ListenFailedError} with the `Deno.listen` error as `cause`.
 *
 * @param options Backends (from {@linkcode parseBackends}), where to listen (`host` @default
 *   "127.0.0.1", `port` @default 44444), `strategy` @default "round-robin", timeouts, retries
 *   @default 3, `maxConns` @default 10000, `healthIntervalMs` @default 2000, `statsPort`, `signal`,
 *   `engine` @default "auto" (epoll over FFI on Linux with IP-literal hosts and FFI allowed, else
 *   Deno.net; `balancer.engine` says which runs).
 * @returns The running {@linkcode Balancer}, already listening (`addr` has the resolved port).
 *
 * @example Round-robin over four local servers until Ctrl-C
 * ```ts ignore
 * import { parseBackends, startBalancer } from "@netlab/netlab/balancer";
 *
 * const controller = new AbortController();
 * Deno.addSignalListener("SIGINT", () => controller.abort());
 * const lb = await startBalancer({
 *   backends: parseBackends(["127.0.0.1:9002-9005"]),
 *   port: 44444,
 *   signal: controller.signal,
 * });
 * await lb.finished; // after the drain
 * ```
 *
 * @example In a test: port 0, stop with `await using`
 * ```ts ignore
 * import { startBalancer } from "@netlab/netlab/balancer";
 *
 * await using lb = await startBalancer({
 *   backends: [{ host: "127.0.0.1", port: 9002, weight: 1 }],
 *   port: 0,
 *   strategy: "least-conn",
 * });
 * console.log(lb.addr.port, lb.stats().backends);
 * ```
 */
export async function startBalancer(options: BalancerOptions): Promise<Balancer> {
  const balancer = new Balancer(options);
  try {
    await balancer.start();
  } catch (err) {
    // the caller never sees this balancer, so only we can release its engine (epoll holds fds)
    await balancer.stop(0);
    throw err;
  }
  return balancer;
}
