/**
 * A backend at run time: its configuration plus the live counters the strategies, the health
 * checker and the stats endpoint read.
 *
 * @module
 */
import { type BackendSpec, formatAddress } from "./backend_spec.ts";
import type { Traffic } from "./proxy.ts";
import { isIpLiteral } from "../loop/sockaddr.ts";

/** Whether a backend receives new connections. */
export type BackendState = "up" | "down";

/**
 * One backend's configuration and live counters.
 *
 * @example
 * ```ts
 * import { Backend } from "@netlab/netlab/balancer";
 * const b = new Backend({ host: "::1", port: 9002, weight: 1 });
 * console.log(b.address, b.state); // [::1]:9002 up
 * ```
 */
export class Backend {
  /** Host name or address, IPv6 without brackets. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Relative weight (1..256). */
  /** Changed in place when a reloaded backends file gives it another. */
  weight: number;
  /** `host:port`, IPv6 in brackets; also the backend's identity in logs and stats. */
  readonly address: string;
  /** Up backends receive new connections; down ones only health checks. */
  state: BackendState = "up";
  /** Connections being connected or proxied right now. */
  active = 0;
  /** Connections proxied since start. */
  total = 0;
  /** Bytes forwarded to (up) and from (down) this backend, updated as they flow. */
  readonly bytes: Traffic = { up: 0, down: 0 };
  /** Failed connection attempts (client connections and health checks). */
  failures = 0;
  /**
   * Client connects that failed in a row (refused, unreachable, timed out); `fall` of them take
   * the backend out. A successful connect sets it back to 0.
   */
  connectFailures = 0;
  /** Consecutive successful health checks (for the rise threshold). */
  goodChecks = 0;
  /** Consecutive failed health checks (for the fall threshold). */
  badChecks = 0;

  constructor(spec: BackendSpec) {
    this.host = spec.host;
    this.port = spec.port;
    this.weight = spec.weight;
    this.address = formatAddress(spec.host, spec.port);
  }
}

/**
 * Replaces `backends`' contents, in place (the engine, the strategy's candidates and the health
 * checker share the array), with `specs`: a backend already there (by address) is kept with its
 * counters and takes the new weight; the others are new.
 *
 * @param ipOnly host names refused (the epoll engine resolves none)
 * @returns the addresses added and the backends taken out
 * @throws {TypeError} for a host name with `ipOnly` (`backends` then unchanged)
 */
export function replaceBackends(
  backends: Backend[],
  specs: readonly BackendSpec[],
  ipOnly: boolean,
): { added: string[]; removed: Backend[] } {
  const name = ipOnly ? specs.find((s) => !isIpLiteral(s.host)) : undefined;
  if (name) throw new TypeError(`The epoll engine needs IP addresses, not "${name.host}"`);
  const old = new Map(backends.map((b) => [b.address, b]));
  const added: string[] = [];
  const next = specs.map((spec) => {
    const b = old.get(formatAddress(spec.host, spec.port));
    if (b === undefined) {
      const fresh = new Backend(spec);
      added.push(fresh.address);
      return fresh;
    }
    old.delete(b.address);
    b.weight = spec.weight;
    return b;
  });
  backends.splice(0, backends.length, ...next);
  return { added, removed: [...old.values()] };
}
