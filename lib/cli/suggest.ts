/**
 * The "(Did you mean ...?)" after an unknown command: only a command near what was typed.
 * commander suggests anything within 60% similarity, so `netlab foo` got "pool".
 *
 * @module
 */

/** Edit distance with transpositions (optimal string alignment), as commander counts it. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The command `typed` most likely meant, or null when none is near: one edit away (two for a
 * word of six letters or more), or the only command it begins.
 *
 * @param typed what was typed
 * @param commands the commands there are
 * @returns the nearest command, or null
 */
export function nearestCommand(typed: string, commands: readonly string[]): string | null {
  const word = typed.toLowerCase();
  const starts = commands.filter((c) => word.length >= 2 && c.startsWith(word));
  if (starts.length === 1) return starts[0]!;
  const allowed = word.length >= 6 ? 2 : 1;
  let best: string | null = null;
  let bestDistance = allowed + 1;
  for (const c of commands) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}
