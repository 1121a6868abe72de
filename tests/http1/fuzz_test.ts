import assert from "node:assert/strict";
import { makeFixture } from "../http/_cases.ts";
import { check, drive, fuzzEnv, makeInput, mulberry32 } from "./_fuzz.ts";

// The session fuzzed (tests/http1/_fuzz.ts): 100,000 seeded connections in CI, each a few
// requests whose answers are known (one in 1,000 a pipeline of up to 2,000), one of them mutated.
// `deno task fuzz` runs 1,000,000 (NETLAB_FUZZ_INPUTS, NETLAB_FUZZ_SEED pick others).

const INPUTS = Number(Deno.env.get("NETLAB_FUZZ_INPUTS") ?? 100_000);
const SEED = Number(Deno.env.get("NETLAB_FUZZ_SEED") ?? 0x5eed1234);

Deno.test(`Session answers ${INPUTS} fuzzed connections, each request once and well framed`, async () => {
  await using fixture = await makeFixture();
  const env = fuzzEnv(fixture.root);
  const rand = mulberry32(SEED);
  const dec = new TextDecoder("latin1");
  let answers = 0, intact = 0;
  for (let i = 0; i < INPUTS; i++) {
    env.now = i; // a fresh millisecond per connection: the fast path stays trusted throughout
    const input = makeInput(rand);
    let written: Uint8Array = new Uint8Array();
    try {
      written = await drive(env, input, rand);
      answers += check(input, written).length;
    } catch (err) {
      const sent = JSON.stringify(dec.decode(input.bytes.subarray(0, 2000)));
      const got = JSON.stringify(dec.decode(written.subarray(0, 2000)));
      throw new Error(`input ${i} (seed ${SEED}): ${err}\nsent ${sent}\ngot ${got}`);
    }
    intact += input.intact.length;
  }
  assert.ok(intact > INPUTS / 2, `only ${intact} intact requests`);
  assert.ok(answers >= intact, `only ${answers} answers`);
});
