/**
 * One suite, run against every strategy (like hono's common.case.test.ts for its routers), plus
 * the properties that make each strategy what it is.
 */
import assert from "node:assert/strict";
import {
  createStrategy,
  LeastConn,
  type Pickable,
  RandomTwoChoices,
  RoundRobin,
  SourceHash,
  STRATEGY_NAMES,
} from "../../lib/balancer/strategies/mod.ts";

interface Fake extends Pickable {
  address: string;
  weight: number;
  active: number;
}

const fakes = (n: number, weights: number[] = []): Fake[] =>
  Array.from({ length: n }, (_, i) => ({
    address: `10.0.0.${i + 1}:80`,
    weight: weights[i] ?? 1,
    active: 0,
  }));

/** Many distinct clients, to exercise source hashing as well as the others. */
const client = (i: number) => `192.168.${(i >> 8) & 255}.${i & 255}`;

for (const name of STRATEGY_NAMES) {
  Deno.test(`${name}: pick() returns undefined for no candidates`, () => {
    assert.equal(createStrategy(name).pick([], "127.0.0.1"), undefined);
  });

  Deno.test(`${name}: pick() returns the only candidate`, () => {
    const s = createStrategy(name);
    const [one] = fakes(1);
    for (let i = 0; i < 10; i++) assert.equal(s.pick([one!], client(i)), one);
  });

  Deno.test(`${name}: pick() only ever returns one of the candidates given`, () => {
    const s = createStrategy(name);
    const all = fakes(5);
    for (let i = 0; i < 500; i++) {
      const candidates = all.filter((_, j) => (i + j) % 3 !== 0);
      assert.ok(candidates.includes(s.pick(candidates, client(i))!));
    }
  });

  Deno.test(`${name}: pick() spreads many clients over every backend by weight`, () => {
    const s = createStrategy(name);
    const all = fakes(4, [1, 1, 2, 4]);
    const counts = new Map<string, number>();
    const n = 8000;
    for (let i = 0; i < n; i++) {
      const b = s.pick(all, client(i))!;
      counts.set(b.address, (counts.get(b.address) ?? 0) + 1);
    }
    const totalWeight = 8;
    for (const b of all) {
      const share = (counts.get(b.address) ?? 0) / n;
      const want = b.weight / totalWeight;
      assert.ok(Math.abs(share - want) < 0.05, `${b.address}: ${share} vs ${want}`);
    }
  });

  Deno.test(`${name}: pick() still picks when every backend is loaded`, () => {
    const s = createStrategy(name);
    const all = fakes(3).map((b) => ({ ...b, active: 1000 }));
    assert.ok(all.includes(s.pick(all, "1.2.3.4")!));
  });
}

Deno.test("RoundRobin.pick() follows the configured order exactly", () => {
  const s = new RoundRobin();
  const all = fakes(4);
  const order = Array.from({ length: 12 }, () => s.pick(all, "x")!.address);
  assert.deepEqual(order, [...all, ...all, ...all].map((b) => b.address));
});

Deno.test("RoundRobin.pick() interleaves weights smoothly (nginx: 5,1,1 -> a a b a c a a)", () => {
  const s = new RoundRobin();
  const [a, b, c] = fakes(3, [5, 1, 1]);
  const seq = Array.from({ length: 7 }, () => s.pick([a!, b!, c!], "x"));
  assert.deepEqual(seq, [a, a, b, a, c, a, a]);
});

Deno.test("RoundRobin.pick() skips a backend missing from the candidates and keeps the order", () => {
  const s = new RoundRobin();
  const [a, b, c, d] = fakes(4);
  const seq = Array.from({ length: 6 }, () => s.pick([a!, c!, d!], "x")!.address);
  assert.deepEqual(seq, [a, c, d, a, c, d].map((x) => x!.address));
  assert.ok(b);
});

Deno.test("LeastConn.pick() takes the backend with fewest connections per weight", () => {
  const s = new LeastConn();
  const all = fakes(3, [1, 1, 4]);
  all[0]!.active = 2;
  all[1]!.active = 1;
  all[2]!.active = 3; // 3/4 < 1/1
  assert.equal(s.pick(all, "x"), all[2]);
  all[2]!.active = 5; // 5/4 > 1/1
  assert.equal(s.pick(all, "x"), all[1]);
});

Deno.test("LeastConn.pick() balances open connections when nothing closes", () => {
  const s = new LeastConn();
  const all = fakes(4);
  for (let i = 0; i < 40; i++) s.pick(all, "x")!.active++;
  assert.deepEqual(all.map((b) => b.active), [10, 10, 10, 10]);
});

Deno.test("RandomTwoChoices.pick() keeps the less loaded of its two draws", () => {
  const draws = [0.1, 0.9]; // first draw: backend 0 of 2; second (of the one left): backend 1
  const s = new RandomTwoChoices(() => draws.shift() ?? 0);
  const all = fakes(2);
  all[0]!.active = 5;
  assert.equal(s.pick(all, "x"), all[1]);
});

Deno.test("RandomTwoChoices.pick() never lets the load drift far apart", () => {
  const s = new RandomTwoChoices();
  const all = fakes(5);
  for (let i = 0; i < 1000; i++) s.pick(all, "x")!.active++;
  const loads = all.map((b) => b.active);
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 4, String(loads));
});

Deno.test("SourceHash.pick() sends one client to the same backend every time", () => {
  const s = new SourceHash();
  const all = fakes(5);
  for (let i = 0; i < 100; i++) {
    const first = s.pick(all, client(i));
    for (let k = 0; k < 3; k++) assert.equal(s.pick(all, client(i)), first);
  }
});

Deno.test("SourceHash.pick() remaps only the removed backend's clients, about 1/N on adding", () => {
  const s = new SourceHash();
  const six = fakes(6);
  const five = six.slice(0, 5);
  const n = 6000;
  let movedOnRemove = 0;
  let movedOnAdd = 0;
  for (let i = 0; i < n; i++) {
    const before = s.pick(five, client(i))!;
    const withSix = s.pick(six, client(i))!;
    if (withSix !== before) {
      movedOnAdd++;
      assert.equal(withSix, six[5], "a client only ever moves to the new backend");
    }
    const without = s.pick(five.filter((b) => b !== five[0]), client(i))!;
    if (without !== before) {
      movedOnRemove++;
      assert.equal(before, five[0], "only the removed backend's clients move");
    }
  }
  assert.ok(Math.abs(movedOnAdd / n - 1 / 6) < 0.04, `added: ${movedOnAdd / n}`);
  assert.ok(Math.abs(movedOnRemove / n - 1 / 5) < 0.04, `removed: ${movedOnRemove / n}`);
});
