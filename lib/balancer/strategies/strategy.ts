/**
 * The one interface every balancing strategy implements. The balancer hands a strategy the
 * backends that may take the connection (up and not yet tried for it), in configured order; the
 * strategy returns one of them.
 *
 * @module
 */

/** Names accepted by `--strategy`. */
export type StrategyName = "round-robin" | "least-conn" | "random" | "source-hash";

/** Every strategy name, in the order `--help` lists them. */
export const STRATEGY_NAMES: readonly StrategyName[] = [
  "round-robin",
  "least-conn",
  "random",
  "source-hash",
];

/** What a strategy may look at: identity, weight and current load. */
export interface Pickable {
  /** Stable identity (`host:port`). */
  readonly address: string;
  /** Relative weight, >= 1. */
  readonly weight: number;
  /** Connections currently open to it. */
  readonly active: number;
}

/** Chooses a backend for each new client connection. */
export interface Strategy {
  /** The `--strategy` name. */
  readonly name: StrategyName;
  /**
   * Picks one of `candidates` (configured order, never empty when called by the balancer) for a
   * client at `clientHost`; `undefined` only when `candidates` is empty.
   */
  pick<B extends Pickable>(candidates: readonly B[], clientHost: string): B | undefined;
}
