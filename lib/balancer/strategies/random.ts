import type { Pickable, Strategy, StrategyName } from "./strategy.ts";

/**
 * Random with two choices: draw two distinct candidates (weighted) and keep the less loaded one.
 * Nearly as even as least-conn, without every balancer herding onto the same "least" backend.
 */
export class RandomTwoChoices implements Strategy {
  readonly name: StrategyName = "random";
  #random: () => number;

  /** @param random source of numbers in [0, 1); injectable so tests can be deterministic. */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  pick<B extends Pickable>(candidates: readonly B[], _clientHost: string): B | undefined {
    if (candidates.length <= 1) return candidates[0];
    const a = this.#draw(candidates, undefined);
    const b = this.#draw(candidates, a);
    return b.active * a.weight < a.active * b.weight ? b : a;
  }

  /** One weighted draw, skipping `except`. */
  #draw<B extends Pickable>(candidates: readonly B[], except: B | undefined): B {
    let total = 0;
    for (const c of candidates) if (c !== except) total += c.weight;
    let r = this.#random() * total;
    let last = candidates[0]!;
    for (const c of candidates) {
      if (c === except) continue;
      last = c;
      r -= c.weight;
      if (r < 0) return c;
    }
    return last;
  }
}
