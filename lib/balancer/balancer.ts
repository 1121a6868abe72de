/**
 * The TCP load balancer: accepts clients, picks a backend with the strategy, retries the next one
 * when a connect fails, proxies bytes, runs health checks and drains on stop.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { BackendConnectError, connectWithTimeout } from "./_connect.ts";
import { Backend } from "./backend.ts";
import { type BackendSpec, formatAddress } from "./backend_spec.ts";
import { HealthChecker } from "./health.ts";
import { DEFAULT_BUFFER_SIZE, proxy } from "./proxy.ts";
import { type BalancerStats, createStatsHandler } from "./stats.ts";
import { createStrategy, type Strategy, type StrategyName } from "./strategies/mod.ts";

/** Options for {@linkcode Balancer}. Times are in milliseconds. */
export interface BalancerOptions {
  /** The backends, in configured order (see `parseBackends`). */
  backends: readonly BackendSpec[];
  /** Address to listen on. @default {"127.0.0.1"} */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default {44444} */
  port?: number;
  /** Strategy name or instance. @default {"round-robin"} */
  strategy?: StrategyName | Strategy;
  /** Give up connecting to a backend after this long. @default {3000} */
  connectTimeoutMs?: number;
  /** Close a connection with no traffic either way for this long; 0 disables. @default {60000} */
  idleTimeoutMs?: number;
  /** After one side's FIN, how long the other direction may stay open; 0 disables. @default {30000} */
  finTimeoutMs?: number;
  /** Further backends to try when a connect fails. @default {3} */
  retries?: number;
  /** Open client connections beyond which new ones are closed at once. @default {10000} */
  maxConns?: number;
  /** Milliseconds between health-check rounds; 0 disables active checks. @default {2000} */
  healthIntervalMs?: number;
  /** Good checks in a row that bring a backend back. @default {2} */
  healthRise?: number;
  /** Failed checks in a row that take a backend out. @default {3} */
  healthFall?: number;
  /** On stop, how long open connections may take to finish. @default {10000} */
  drainTimeoutMs?: number;
  /** Proxy buffer per direction per connection, in bytes. @default {65536} */
  bufferSize?: number;
  /** Serve `/stats` and `/metrics` on this port (same host) when set. */
  statsPort?: number;
  /** Aborting it stops the balancer: stop accepting, drain, close. */
  signal?: AbortSignal;
  /** Where connection and health records go. @default {getLogger(["netlab", "balance"])} */
  logger?: Logger;
}

/** A running TCP load balancer. Create with {@linkcode startBalancer} or `new` + `start()`. */
export class Balancer implements AsyncDisposable {
  #o: Required<Omit<BalancerOptions, "statsPort" | "signal" | "logger" | "strategy">>;
  #statsPort: number | undefined;
  #signal: AbortSignal | undefined;
  #log: Logger;
  #strategy: Strategy;
  #backends: Backend[];
  #health: HealthChecker;
  #listener: Deno.TcpListener | undefined;
  #stats: Deno.HttpServer<Deno.NetAddr> | undefined;
  #sessions = new Set<Promise<void>>();
  #kill = new AbortController();
  #accepting: Promise<void> = Promise.resolve();
  #done = Promise.withResolvers<void>();
  #stopping: Promise<void> | undefined;
  #startedAt = 0;
  #total = 0;
  #rejected = 0;
  #unserved = 0;

  constructor(options: BalancerOptions) {
    if (options.backends.length === 0) throw new TypeError("A balancer needs at least one backend");
    this.#o = {
      backends: options.backends,
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 44444,
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      finTimeoutMs: options.finTimeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      maxConns: options.maxConns ?? 10_000,
      healthIntervalMs: options.healthIntervalMs ?? 2000,
      healthRise: options.healthRise ?? 2,
      healthFall: options.healthFall ?? 3,
      drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
      bufferSize: options.bufferSize ?? DEFAULT_BUFFER_SIZE,
    };
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
  }

  /** The address the balancer listens on (port 0 resolved); throws before `start()`. */
  get addr(): Deno.NetAddr {
    if (!this.#listener) throw new Error("The balancer is not listening yet");
    return this.#listener.addr;
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
   * Listens and starts accepting; resolves with the bound address once listening.
   *
   * @throws {Deno.errors.AddrInUse} and other `Deno.listen` errors, unchanged.
   */
  start(): Promise<Deno.NetAddr> {
    if (this.#listener) return Promise.resolve(this.#listener.addr);
    const { host, port } = this.#o;
    this.#listener = Deno.listen({ hostname: host, port });
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
        throw err;
      }
    }
    this.#startedAt = Date.now();
    const addr = this.#listener.addr;
    this.#log.info(`listening on ${formatAddress(addr.hostname, addr.port)}`, {
      host: addr.hostname,
      port: addr.port,
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
    this.#signal?.addEventListener("abort", () => void this.stop(), { once: true });
    return Promise.resolve(addr);
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
    if (!this.#listener) return this.#done.resolve();
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    // the socket really stops listening only once the pending accept has settled
    await this.#accepting;
    await this.#health.stop();
    const open = this.#sessions.size;
    if (open > 0) {
      this.#log.info(`draining ${open} open connections (up to ${drainTimeoutMs} ms)`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        Promise.all(this.#sessions).then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), drainTimeoutMs)),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.#log.warn(`closing ${this.#sessions.size} connections still open after drain timeout`);
        this.#kill.abort();
        await Promise.all(this.#sessions);
      }
    }
    await this.#stats?.shutdown();
    this.#log.info(`stopped after ${this.#total} connections`, { total: this.#total });
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

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) break;
        // e.g. out of file descriptors: say so, breathe, keep serving the connections we have
        this.#log.error(`accept failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
        if (this.#stopping) break;
        continue;
      }
      this.#total++;
      if (this.#sessions.size >= this.#o.maxConns) {
        this.#rejected++;
        conn.close();
        continue;
      }
      const session = this.#session(conn).catch((err) => {
        this.#log.error(`connection failed: ${(err as Error).message}`);
        try {
          conn.close();
        } catch { /* already closed */ }
      }).finally(() => this.#sessions.delete(session));
      this.#sessions.add(session);
    }
  }

  async #session(client: Deno.TcpConn): Promise<void> {
    const remote = client.remoteAddr;
    const from = formatAddress(remote.hostname, remote.port);
    client.setNoDelay(true);
    const tried = new Set<Backend>();
    let lastError = "no backend is up";
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      const candidates = this.#backends.filter((b) => b.state === "up" && !tried.has(b));
      const backend = this.#strategy.pick(candidates, remote.hostname);
      if (!backend) break;
      tried.add(backend);
      backend.active++;
      let upstream: Deno.TcpConn;
      try {
        upstream = await connectWithTimeout(backend.host, backend.port, this.#o.connectTimeoutMs);
      } catch (err) {
        backend.active--;
        if (!(err instanceof BackendConnectError)) throw err;
        backend.failures++;
        lastError = `${backend.address}: ${err.message}`;
        this.#log.warn(`cannot connect to ${backend.address} for ${from}: ${err.message}`, {
          client: from,
          backend: backend.address,
        });
        if (this.#o.healthIntervalMs > 0) this.#health.markDown(backend, err.message);
        continue;
      }
      try {
        await this.#forward(client, upstream, backend, from);
      } finally {
        backend.active--;
      }
      return;
    }
    client.close();
    this.#unserved++;
    this.#log.error(`no backend for connection from ${from}: ${lastError}`, {
      client: from,
      error: lastError,
    });
  }

  async #forward(
    client: Deno.TcpConn,
    upstream: Deno.TcpConn,
    backend: Backend,
    from: string,
  ): Promise<void> {
    upstream.setNoDelay(true);
    backend.total++;
    const log = this.#log;
    const logging = log.isEnabledFor("info");
    if (logging) {
      log.info(`connection from ${from} forwarded to ${backend.address}`, {
        client: from,
        backend: backend.address,
      });
    }
    const result = await proxy(client, upstream, {
      bufferSize: this.#o.bufferSize,
      idleTimeoutMs: this.#o.idleTimeoutMs,
      finTimeoutMs: this.#o.finTimeoutMs,
      signal: this.#kill.signal,
      traffic: backend.bytes,
    });
    if (logging) {
      const why = result.error instanceof Error
        ? `${result.end}: ${result.error.message}`
        : result.end;
      log.info(
        `connection from ${from} to ${backend.address} ended (${why}): ${result.up} bytes up, ${result.down} bytes down, ${
          result.durationMs.toFixed(1)
        } ms`,
        {
          client: from,
          backend: backend.address,
          bytesUp: result.up,
          bytesDown: result.down,
          durationMs: result.durationMs,
          end: result.end,
        },
      );
    }
  }
}

/**
 * Creates a balancer and starts listening.
 *
 * @throws {Deno.errors.AddrInUse} and other `Deno.listen` errors, unchanged.
 */
export async function startBalancer(options: BalancerOptions): Promise<Balancer> {
  const balancer = new Balancer(options);
  await balancer.start();
  return balancer;
}
