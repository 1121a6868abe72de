import assert from "node:assert/strict";
import { cycles, importGraph } from "../../tools/import_cycles.ts";

for (const folder of ["lib/balancer/", "lib/loop/"]) {
  Deno.test(`importGraph() finds no import circle under ${folder}, type-only imports included`, async () => {
    const graph = await importGraph(`${folder}mod.ts`, folder);
    assert.ok(graph.size > 5, `only ${graph.size} modules found under ${folder}`);
    assert.deepEqual(cycles(graph), []);
  });
}

Deno.test("cycles() finds a circle and a self-import, and nothing in a chain", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["d"]], ["e", ["a"]]]);
  assert.deepEqual(cycles(graph), [["a", "b", "c"], ["d"]]);
  assert.deepEqual(cycles(new Map([["a", ["b"]], ["b", []]])), []);
});
