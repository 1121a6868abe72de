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

/** A fresh strategy instance (each keeps its own rotation state). */
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
