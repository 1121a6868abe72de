/**
 * The TCP load balancer's life cycle: picks an engine, listens, runs health checks and the
 * stats endpoint, and drains on stop. The connections themselves are the engine's
 * (`engines/deno.ts` or `engines/epoll.ts`).
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { type Backend, replaceBackends } from "./backend.ts";
import type { BackendSpec } from "./backend_spec.ts";
import type { BalancerStats } from "./stats.ts";
import { openStats } from "./_stats_server.ts";
import { counted } from "../runtime/text.ts";
import { fitDescriptors } from "./_descriptors.ts";
import { shutDown } from "./_drain.ts";
import { announce, describeListening, type Listening } from "./_announce.ts";
import { snapshot } from "./_snapshot.ts";
import { assemble, type BalancerParts } from "./_setup.ts";
import { type BalancerOptions, ListenFailedError } from "./options.ts";
import { HttpFrontend } from "./http/frontend.ts";
import type { ProbeTls } from "./http/health_probe.ts";
import { type BalancerTls, openBalancerTls } from "./_tls.ts";
import type { TlsCounters } from "../tls/counters.ts";
import type { Counters, EngineName, Frontend, StatsEndpoint } from "./engines/frontend.ts";

export { type BalancerOptions, ListenFailedError } from "./options.ts";

/** A running TCP load balancer. Create with {@linkcode startBalancer} or `new` + `start()`. */
export class Balancer implements AsyncDisposable {
  /** Settings, strategy, backends, health checker, engine and session context. */
  #p: BalancerParts;
  #maxConnsGiven: boolean;
  #statsPort: number | undefined;
  #signal: AbortSignal | undefined;
  #log: Logger;
  #frontend: Frontend | undefined;
  #stats: StatsEndpoint | undefined;
  #counters: Counters = { total: 0, rejected: 0, unserved: 0 };
  #tlsOptions: Pick<BalancerOptions, "tls" | "backendTls">;
  #tls: BalancerTls | undefined;
  #done = Promise.withResolvers<void>();
  #stopping: Promise<void> | undefined;
  /** Put on `options.signal` by start(), taken off by stop(). */
  #onAbort = () => void this.stop();
  #startedAt = 0;
  /** A frontend given up on in start() (stats port busy), being released. */
  #released: Promise<void> = Promise.resolve();

  /**
   * @throws {TypeError} for no backends, or options the engine chosen cannot run
   * @throws {RangeError} for a duration over 2^31-1 ms (timers cannot wait that long)
   */
  constructor(options: BalancerOptions) {
    this.#log = options.logger ?? getLogger(["netlab", "balance"]);
    const probeTls = options.backendTls ? () => this.#probeTls() : undefined;
    this.#p = assemble(options, this.#log, this.#counters, probeTls);
    this.#maxConnsGiven = options.maxConns !== undefined;
    this.#statsPort = options.statsPort;
    this.#signal = options.signal;
    this.#tlsOptions = options;
  }

  /** The address the balancer listens on (port 0 resolved); throws before `start()`. */
  get addr(): Deno.NetAddr {
    if (!this.#frontend) throw new Error("The balancer is not listening yet");
    return this.#frontend.addr;
  }

  /** The socket engine in use: `epoll` or `deno`. */
  get engine(): EngineName {
    return this.#p.engine.name;
  }

  /** The stats server's address, when `statsPort` was given. */
  get statsAddr(): Deno.NetAddr | undefined {
    return this.#stats?.addr;
  }

  /** What the TLS of the clients' side made and freed (`tls` given and started; else null). */
  get tlsCounters(): TlsCounters | null {
    return this.#tls?.tls?.counters ?? null;
  }

  /** The backends with their live counters, in configured order. */
  get backends(): readonly Backend[] {
    return this.#p.backends;
  }

  /** The most client connections held at once (`maxConns`, or what the fd limit allows). */
  get maxConns(): number {
    return this.#p.settings.maxConns;
  }

  /** Resolves once the balancer has stopped and every connection is closed. */
  get finished(): Promise<void> {
    return this.#done.promise;
  }

  /**
   * Listens and starts accepting; resolves with the bound address once listening. A balancer
   * starts once: after `stop()` it rejects.
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
    if (this.#stopping) throw new Error("The balancer has been stopped: create a new one");
    if (this.#frontend) return this.#frontend.addr;
    const o = this.#p.settings;
    o.maxConns = fitDescriptors(o.maxConns, this.#maxConnsGiven, this.#log);
    const { host, port } = o;
    // made first: a certificate that cannot be used fails before anything listens
    const tls = this.#tls ??= openBalancerTls(this.#tlsOptions.tls, this.#tlsOptions.backendTls);
    this.#p.context = { ...this.#p.context, tls: tls.tls, backendTls: tls.backendTls };
    try {
      this.#frontend = this.#p.engine.listen(this.#p.context, host, port);
    } catch (err) {
      this.#closeTls();
      throw new ListenFailedError(host, port, err);
    }
    if (this.#statsPort !== undefined) {
      try {
        const stats = () => this.stats();
        this.#stats = openStats(this.#frontend, host, this.#statsPort, stats, this.#log);
      } catch (err) {
        const frontend = this.#frontend;
        this.#frontend = undefined;
        this.#released = frontend.close().then(() => this.#closeTls());
        throw err;
      }
    }
    this.#startedAt = Date.now();
    const addr = this.#frontend.addr;
    announce(this.#log, addr, this.#listening(), this.#stats?.addr);
    if (o.healthIntervalMs > 0) this.#p.health.start();
    if (this.#signal?.aborted) void this.stop();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    return addr;
  }

  /** Strategy, backend count and engine, as the listening line gives them. */
  describe(): string {
    return describeListening(this.#listening());
  }

  #listening(): Listening {
    const { strategy, engine, backends, settings } = this.#p;
    const tls = this.#tls?.label ?? "";
    return { strategy: strategy.name, engine: engine.name, backends, mode: settings.mode, tls };
  }

  /** Where `--health-check` over `--backend-tls` runs: the http frontend's loop and TLS. */
  #probeTls(): ProbeTls {
    const ctx = this.#tls?.backendTls;
    if (!(this.#frontend instanceof HttpFrontend) || !ctx) {
      throw new Error("the balancer is not listening");
    }
    return { loop: this.#frontend.loop, ctx };
  }

  #closeTls(): void {
    this.#tls?.close();
    this.#tls = undefined;
  }

  /**
   * Stops accepting, lets open connections finish for up to `drainTimeoutMs`, then closes the
   * rest; resolves when everything is closed. Calling it again returns the same promise.
   */
  stop(drainTimeoutMs: number = this.#p.settings.drainTimeoutMs): Promise<void> {
    this.#stopping ??= this.#stop(drainTimeoutMs);
    return this.#stopping;
  }

  async #stop(drainTimeoutMs: number): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    const frontend = this.#frontend;
    await this.#released;
    if (!frontend) {
      this.#closeTls();
      return this.#done.resolve();
    }
    await shutDown(frontend, this.#p.health, this.#stats, drainTimeoutMs, this.#log);
    this.#closeTls();
    const total = this.#counters.total;
    this.#log.info(`stopped after ${counted(total, "connection")}`, { total });
    this.#done.resolve();
  }

  /** Stops at once (no drain). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop(0);
  }

  /**
   * Replaces the set of backends (a reloaded `--backends-file`): new ones take connections at
   * once; removed ones get no new connections and are closed as their last connection ends
   * (connections in flight are never cut); one whose weight changed keeps its counters.
   *
   * @returns what changed, by address
   * @throws {TypeError} for an empty set, or a host name the epoll engine cannot use (the running
   *   set is kept)
   */
  setBackends(specs: readonly BackendSpec[]): { added: string[]; removed: string[] } {
    if (specs.length === 0) throw new TypeError("A balancer needs at least one backend");
    const { added, removed } = replaceBackends(
      this.#p.backends,
      specs,
      this.#p.engine.name === "epoll",
    );
    if (removed.length > 0) this.#frontend?.retire?.(removed);
    return { added, removed: removed.map((b) => b.address) };
  }

  /** The counters at this moment. */
  stats(): BalancerStats {
    const frontend = this.#frontend;
    const http = frontend instanceof HttpFrontend ? frontend : undefined;
    return snapshot({
      addr: frontend?.addr,
      engine: this.#p.engine.name,
      strategy: this.#p.strategy.name,
      startedAt: this.#startedAt,
      active: frontend?.active ?? 0,
      counters: this.#counters,
      backends: this.#p.backends,
      ...(http ? { requests: (b: Backend) => http.metrics(b).snapshot() } : {}),
    });
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
    await balancer.stop(0);
    throw err;
  }
  return balancer;
}
