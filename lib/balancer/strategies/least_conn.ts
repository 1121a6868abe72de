import { RoundRobin } from "./round_robin.ts";
import type { Pickable, Strategy, StrategyName } from "./strategy.ts";

/**
 * Least connections, weighted: the candidate with the fewest open connections per unit of weight.
 * Ties (an idle pool, for one) go to smooth weighted round-robin among the tied, as in nginx, so
 * weights still count when every backend is equally loaded.
 */
export class LeastConn implements Strategy {
  readonly name: StrategyName = "least-conn";
  #ties = new RoundRobin();

  pick<B extends Pickable>(candidates: readonly B[], clientHost: string): B | undefined {
    let best: B[] = [];
    for (const c of candidates) {
      const first = best[0];
      // c.active/c.weight compared with first.active/first.weight, without division
      const cmp = first === undefined ? -1 : c.active * first.weight - first.active * c.weight;
      if (cmp < 0) best = [c];
      else if (cmp === 0) best.push(c);
    }
    return best.length <= 1 ? best[0] : this.#ties.pick(best, clientHost);
  }
}
