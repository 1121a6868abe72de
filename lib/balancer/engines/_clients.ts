/**
 * The client connections one loop frontend has open, whichever mode it runs (the tcp mode's
 * tunnels, the http mode's streams) and the `--accept-proxy` gates that come before them: the
 * max-conns check that admits a new one, and the wait until none is left (a drain). One piece
 * for both epoll frontends, so their counts and their drains cannot drift apart.
 *
 * @module
 */
import type { SessionContext } from "./frontend.ts";
import { type GateHost, ProxyGate } from "./_proxy_gate.ts";
import type { Gate } from "./_tls_gate.ts";
import { counted } from "../../runtime/text.ts";

/** The open client connections (`T`) and PROXY-header gates of one frontend. */
export class OpenClients<T> {
  /** The connections serving clients. */
  readonly conns: Set<T> = new Set();
  /** Sockets still waiting for their PROXY header or their TLS handshake. */
  readonly gates: Set<Gate> = new Set();
  readonly #ctx: SessionContext;
  #idle: PromiseWithResolvers<void> | undefined;
  /** Whether the last client was turned away by maxConns (to warn once per episode). */
  #full = false;

  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
  }

  /** Connections and gates open now. */
  get size(): number {
    return this.conns.size + this.gates.size;
  }

  /**
   * Counts an accepted client and tells whether it may stay: not when `maxConns` are open (it is
   * counted as rejected, and the first of a run of them is logged). The caller closes a refused
   * socket.
   */
  admit(): boolean {
    const { counters, settings, log } = this.#ctx;
    counters.total++;
    if (this.size >= settings.maxConns) {
      if (!this.#full) {
        log.warn(
          `${
            counted(settings.maxConns, "connection")
          } open (max-conns): closing new ones until one ends`,
        );
      }
      this.#full = true;
      counters.rejected++;
      return false;
    }
    this.#full = false;
    return true;
  }

  /** Holds `fd` until its PROXY header has come (then `host.admit` takes it). */
  gate(host: GateHost, fd: number, peer: Deno.NetAddr, timeoutMs: number): void {
    this.hold(new ProxyGate(host, fd, peer, timeoutMs));
  }

  /** Holds `gate` (a PROXY header or a TLS handshake to wait for) while its socket is watched. */
  hold(gate: Gate & { watch(): number }): void {
    this.gates.add(gate);
    if (gate.watch() !== 0) this.gates.delete(gate);
  }

  /** A gate passed its socket on, or closed it. */
  gateDone(gate: Gate): void {
    this.gates.delete(gate);
    this.#check();
  }

  /** A connection ended. */
  ended(conn: T): void {
    this.conns.delete(conn);
    this.#check();
  }

  /** Closes every gate (their clients never got through). */
  closeGates(): void {
    for (const g of [...this.gates]) g.close();
  }

  /** Resolves once no connection or gate is open. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers();
    return this.#idle.promise;
  }

  #check(): void {
    if (this.size === 0 && this.#idle) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  }
}
