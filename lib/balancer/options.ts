/**
 * What a balancer is configured with, and the error it throws when it cannot listen.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { type BackendSpec, formatAddress } from "./backend_spec.ts";
import { DEFAULT_BUFFER_SIZE } from "./proxy.ts";
import type { Strategy, StrategyName } from "./strategies/mod.ts";
import type { EngineChoice } from "./engines/names.ts";
import { MAX_DELAY_MS } from "../loop/loop.ts";
import type { ProxyVersion } from "./proxy_protocol.ts";
import type { TlsServerOptions } from "../tls/server.ts";
import type { TlsClientOptions } from "../tls/client.ts";

/** A listen failure, naming the address that could not be bound (main or stats port). */
export class ListenFailedError extends Error {
  override name = "ListenFailedError";
  /** The host that could not be bound. */
  readonly host: string;
  /** The port that could not be bound. */
  readonly port: number;
  /** Which listener failed: the balancer's own, or its stats endpoint's. */
  readonly listener: "balancer" | "stats";

  constructor(
    host: string,
    port: number,
    cause: unknown,
    listener: "balancer" | "stats" = "balancer",
  ) {
    const what = listener === "stats" ? " for the stats endpoint" : "";
    super(`Cannot listen on ${formatAddress(host, port)}${what}`, { cause });
    this.host = host;
    this.port = port;
    this.listener = listener;
  }
}

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
  /**
   * After one side's FIN, close once the other direction is silent this long (HAProxy's
   * `timeout client-fin`); 0, the default, leaves a half-closed connection to the idle timeout.
   * @default {0}
   */
  finTimeoutMs?: number;
  /** Further backends to try when a connect fails. @default {3} */
  retries?: number;
  /**
   * Open client connections beyond which new ones are closed at once. Unset, it is 10000 or as
   * many as the descriptor limit holds (two each plus a reserve), whichever is less.
   * @default {10000}
   */
  maxConns?: number;
  /** Milliseconds between health-check rounds; 0 disables active checks. @default {2000} */
  healthIntervalMs?: number;
  /** Good checks in a row that bring a backend back. @default {2} */
  healthRise?: number;
  /** Failed checks in a row that take a backend out. @default {3} */
  healthFall?: number;
  /** On stop, how long open connections may take to finish. @default {10000} */
  drainTimeoutMs?: number;
  /** Proxy buffer per direction per connection, in bytes. @default {16384} */
  bufferSize?: number;
  /** Serve `/stats` and `/metrics` on this port (same host) when set. */
  statsPort?: number;
  /**
   * Socket engine: `epoll` (Linux, needs `--allow-ffi` and IP-literal hosts; far less CPU per
   * connection), `deno` (Deno.net, portable) or `auto` (epoll when it can, else deno).
   * @default {"auto"}
   */
  engine?: EngineChoice;
  /**
   * `tcp` forwards connections; `http` reads each request and sends it to the backend the
   * strategy picks for it, over pooled keep-alive connections (the epoll engine only).
   * @default {"tcp"}
   */
  mode?: BalanceMode;
  /** http mode: connections open to each backend at most. @default {100} */
  backendConns?: number;
  /** http mode: requests waiting for a connection to one backend; more get 503. @default {1024} */
  backendQueue?: number;
  /** http mode: a backend silent this long gets its request a 504. @default {60000} */
  serverTimeoutMs?: number;
  /** http mode: a request head must arrive within this (408 after). @default {10000} */
  requestTimeoutMs?: number;
  /**
   * http mode: health checks send this request (`GET /health`) instead of only connecting.
   * @default {""} (a TCP connect)
   */
  healthCheck?: string;
  /** http mode: the status a health check must get; 0 takes any 2xx or 3xx. @default {0} */
  healthExpect?: number;
  /**
   * http mode: besides appending the client to `X-Forwarded-For` (always), set
   * `X-Forwarded-Proto` and append a `Forwarded` element (RFC 7239: `for=...;host="...";proto=...`)
   * to every request, as HAProxy's `http-request set-header` and nginx's `proxy_set_header` do
   * when asked. Off, a client's own X-Forwarded-Proto and Forwarded pass unchanged.
   * @default {false}
   */
  forwarded?: boolean;
  /**
   * Write a PROXY protocol header (`v1` text, `v2` binary) first on every backend connection,
   * naming the client (HAProxy's `send-proxy`, `send-proxy-v2`); "" sends none. In http mode a
   * backend connection then serves one client connection only. The epoll engine only.
   * @default {""}
   */
  sendProxy?: "" | ProxyVersion;
  /**
   * Every client connection starts with a PROXY header (v1 or v2, read strictly within the
   * request timeout); the client it names is the one logged, hashed and forwarded. A connection
   * without one is closed. The epoll engine only.
   * @default {false}
   */
  acceptProxy?: boolean;
  /**
   * Terminate TLS: clients speak TLS with these certificates (the first the default, the others
   * by SNI name); the handshake must be done within the request timeout. The epoll engine only.
   */
  tls?: TlsServerOptions;
  /**
   * Speak TLS to the backends, verified against the system's store plus `caCerts` (or not at
   * all, `insecure`). The epoll engine only.
   */
  backendTls?: TlsClientOptions;
  /** Aborting it stops the balancer: stop accepting, drain, close. */
  signal?: AbortSignal;
  /** Where connection and health records go. @default {getLogger(["netlab", "balance"])} */
  logger?: Logger;
}

/** What a balancer balances: connections (`tcp`) or requests (`http`). */
export type BalanceMode = "tcp" | "http";

/** The `--mode` choices. */
export const BALANCE_MODES: readonly BalanceMode[] = ["tcp", "http"];

/** The tunables of {@linkcode BalancerOptions}, each with a value. */
export type BalancerSettings = Required<
  Omit<
    BalancerOptions,
    "backends" | "strategy" | "statsPort" | "signal" | "logger" | "engine" | "tls" | "backendTls"
  >
>;

/** The defaults of {@linkcode BalancerOptions}: one place for the balancer and `--emit haproxy`. */
export const BALANCER_DEFAULTS: Readonly<BalancerSettings> = {
  host: "127.0.0.1",
  port: 44444,
  connectTimeoutMs: 3000,
  idleTimeoutMs: 60_000,
  finTimeoutMs: 0,
  retries: 3,
  maxConns: 10_000,
  healthIntervalMs: 2000,
  healthRise: 2,
  healthFall: 3,
  drainTimeoutMs: 10_000,
  bufferSize: DEFAULT_BUFFER_SIZE,
  mode: "tcp",
  backendConns: 100,
  backendQueue: 1024,
  serverTimeoutMs: 60_000,
  requestTimeoutMs: 10_000,
  healthCheck: "",
  healthExpect: 0,
  forwarded: false,
  sendProxy: "",
  acceptProxy: false,
};

/** The tunables of `o`, each unset one at its default. */
export function withDefaults(o: Partial<BalancerSettings>): BalancerSettings {
  const d = BALANCER_DEFAULTS;
  return {
    host: o.host ?? d.host,
    port: o.port ?? d.port,
    connectTimeoutMs: o.connectTimeoutMs ?? d.connectTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs ?? d.idleTimeoutMs,
    finTimeoutMs: o.finTimeoutMs ?? d.finTimeoutMs,
    retries: o.retries ?? d.retries,
    maxConns: o.maxConns ?? d.maxConns,
    healthIntervalMs: o.healthIntervalMs ?? d.healthIntervalMs,
    healthRise: o.healthRise ?? d.healthRise,
    healthFall: o.healthFall ?? d.healthFall,
    drainTimeoutMs: o.drainTimeoutMs ?? d.drainTimeoutMs,
    bufferSize: o.bufferSize ?? d.bufferSize,
    mode: o.mode ?? d.mode,
    backendConns: o.backendConns ?? d.backendConns,
    backendQueue: o.backendQueue ?? d.backendQueue,
    serverTimeoutMs: o.serverTimeoutMs ?? d.serverTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? d.requestTimeoutMs,
    healthCheck: o.healthCheck ?? d.healthCheck,
    healthExpect: o.healthExpect ?? d.healthExpect,
    forwarded: o.forwarded ?? d.forwarded,
    sendProxy: o.sendProxy ?? d.sendProxy,
    acceptProxy: o.acceptProxy ?? d.acceptProxy,
  };
}

/** The duration settings, by flag name, for error messages. */
const DURATIONS = {
  connectTimeoutMs: "connect timeout",
  idleTimeoutMs: "idle timeout",
  finTimeoutMs: "fin timeout",
  healthIntervalMs: "health interval",
  drainTimeoutMs: "drain timeout",
  serverTimeoutMs: "server timeout",
  requestTimeoutMs: "request timeout",
} as const;

/**
 * Checks that every duration fits a timer: `setTimeout` turns anything over 2^31-1 ms into
 * 1 ms, which would make a long health interval run checks a thousand times a second.
 *
 * @throws {RangeError} naming the first duration out of range
 */
export function checkDurations(o: BalancerSettings): void {
  for (const [key, name] of Object.entries(DURATIONS)) {
    const ms = o[key as keyof typeof DURATIONS];
    if (!(ms >= 0 && ms <= MAX_DELAY_MS)) {
      throw new RangeError(`The ${name} must be from 0 to ${MAX_DELAY_MS} ms, not ${ms}`);
    }
  }
}
