import type { Pickable, Strategy, StrategyName } from "./strategy.ts";

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser for avalanche. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Source-address hashing by weighted rendezvous (highest random weight) hashing: each client
 * ranks every backend by a hash of (client, backend) and takes the best. Removing a backend
 * moves only its own clients; adding one takes about 1/N of everyone's, and a backend that is
 * down simply drops out of the ranking for as long as it is down.
 */
export class SourceHash implements Strategy {
  readonly name: StrategyName = "source-hash";

  pick<B extends Pickable>(candidates: readonly B[], clientHost: string): B | undefined {
    let best: B | undefined;
    let bestScore = -Infinity;
    for (const c of candidates) {
      const u = (hash32(`${clientHost}|${c.address}`) + 0.5) / 4294967296;
      const score = -c.weight / Math.log(u);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }
}
