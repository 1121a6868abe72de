import assert from "node:assert/strict";
import { formatDuration, MAX_DURATION_MS, parseDuration } from "../../lib/runtime/duration.ts";

Deno.test("parseDuration() reads units, and a bare number in the flag's own unit", () => {
  assert.equal(parseDuration("30", "s"), 30_000);
  assert.equal(parseDuration("30", "ms"), 30);
  assert.equal(parseDuration("30s", "ms"), 30_000);
  assert.equal(parseDuration("2m", "s"), 120_000);
  assert.equal(parseDuration("500ms", "s"), 500);
  assert.equal(parseDuration("1.5h", "s"), 5_400_000);
  assert.equal(parseDuration("1d", "s"), 86_400_000);
  assert.equal(parseDuration(".25s", "s"), 250);
  assert.equal(parseDuration("0", "s"), 0);
});

Deno.test("parseDuration() refuses what is not a duration, and anything over 24 days", () => {
  for (const bad of ["", "x", "-1", "1e3", "30x", "s", "1 2", "Infinity", "NaN"]) {
    assert.equal(parseDuration(bad, "s"), null, bad);
  }
  assert.equal(parseDuration("24d", "s"), MAX_DURATION_MS);
  assert.equal(parseDuration("25d", "s"), null);
  // 2147484 s is past setTimeout's 2^31-1 ms, where a timer fires at once
  assert.equal(parseDuration("2147484", "s"), null);
  assert.ok(MAX_DURATION_MS <= 2 ** 31 - 1);
});

Deno.test("formatDuration() writes the largest whole unit", () => {
  assert.equal(formatDuration(3000), "3s");
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(1500), "1500ms");
  assert.equal(formatDuration(0), "0ms");
});
