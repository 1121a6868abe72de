import assert from "node:assert/strict";
import { RateLimitedLog } from "../../lib/server/_listener.ts";

Deno.test("RateLimitedLog writes the first note at once and counts the rest of the second", async () => {
  const lines: string[] = [];
  const log = new RateLimitedLog({ warn: (m: string) => void lines.push(m) }, 20);
  for (let i = 0; i < 40; i++) log.note(`Cannot accept connections: {${i}}`);
  assert.deepEqual(lines, ["Cannot accept connections: {{0}}"]);
  // the interval ends: one line for the 39 held back, with the last message
  while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(lines.slice(1), [
    "Cannot accept connections: {{39}} (39 times in the last second)",
  ]);
  // that line started a new interval: a note within it waits, and close() writes it out
  log.note("again");
  assert.equal(lines.length, 2);
  log.close();
  assert.deepEqual(lines.slice(2), ["again (once more in the last second)"]);
});
