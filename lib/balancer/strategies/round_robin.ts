import type { Pickable, Strategy, StrategyName } from "./strategy.ts";

/**
 * Smooth weighted round-robin, nginx's algorithm: every candidate's current weight grows by its
 * weight, the largest wins and pays back the sum. With equal weights this is plain round-robin in
 * configured order; with weights 5,1,1 it yields a a b a c a a rather than a a a a a b c.
 */
export class RoundRobin implements Strategy {
  readonly name: StrategyName = "round-robin";
  #current = new Map<string, number>();

  pick<B extends Pickable>(candidates: readonly B[], _clientHost: string): B | undefined {
    let best: B | undefined;
    let bestWeight = -Infinity;
    let total = 0;
    for (const c of candidates) {
      const w = (this.#current.get(c.address) ?? 0) + c.weight;
      this.#current.set(c.address, w);
      total += c.weight;
      if (w > bestWeight) {
        best = c;
        bestWeight = w;
      }
    }
    if (best !== undefined) this.#current.set(best.address, bestWeight - total);
    return best;
  }
}
