/**
 * Builds a strategy from its `--strategy` name.
 *
 * @module
 */
import { LeastConn } from "./least_conn.ts";
import { RandomTwoChoices } from "./random.ts";
import { RoundRobin } from "./round_robin.ts";
import { SourceHash } from "./source_hash.ts";
import type { Strategy, StrategyName } from "./strategy.ts";

export { LeastConn, RandomTwoChoices, RoundRobin, SourceHash };
export { type Pickable, type Strategy, STRATEGY_NAMES, type StrategyName } from "./strategy.ts";

/**
 * A fresh strategy instance (each keeps its own rotation state).
 *
 * @param name `"round-robin"` (smooth weighted, nginx's), `"least-conn"`, `"random"` (two
 *   choices) or `"source-hash"` (weighted rendezvous hashing).
 * @returns A fresh strategy with its own rotation state.
 *
 * @example
 * ```ts
 * import { createStrategy } from "@netlab/netlab/balancer";
 *
 * const rr = createStrategy("round-robin");
 * const backends = [
 *   { address: "a:1", weight: 5, active: 0 },
 *   { address: "b:1", weight: 1, active: 0 },
 *   { address: "c:1", weight: 1, active: 0 },
 * ];
 * const order = Array.from({ length: 7 }, () => rr.pick(backends, "10.0.0.1")!.address[0]);
 * console.log(order.join(" ")); // a a b a c a a
 * ```
 */
export function createStrategy(name: StrategyName): Strategy {
  switch (name) {
    case "round-robin":
      return new RoundRobin();
    case "least-conn":
      return new LeastConn();
    case "random":
      return new RandomTwoChoices();
    case "source-hash":
      return new SourceHash();
  }
}
