import type { Pickable, Strategy, StrategyName } from "./strategy.ts";

/**
 * Smooth weighted round-robin, nginx's algorithm: every candidate's current weight grows by its
 * weight, the largest wins and pays back the sum. With equal weights this is plain round-robin in
 * configured order; with weights 5,1,1 it yields a a b a c a a rather than a a a a a b c.
 */
export class RoundRobin implements Strategy {
  readonly name: StrategyName = "round-robin";
  /** Each address's current weight, in a box: a pick looks each up once and sets none. */
  #current = new Map<string, { w: number }>();

  pick<B extends Pickable>(candidates: readonly B[], _clientHost: string): B | undefined {
    let best: { w: number } | undefined;
    let picked: B | undefined;
    let bestWeight = -Infinity;
    let total = 0;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      let box = this.#current.get(c.address);
      if (box === undefined) this.#current.set(c.address, box = { w: 0 });
      const w = box.w += c.weight;
      total += c.weight;
      if (w > bestWeight) {
        best = box;
        picked = c;
        bestWeight = w;
      }
    }
    if (best !== undefined) best.w = bestWeight - total;
    return picked;
  }
}
