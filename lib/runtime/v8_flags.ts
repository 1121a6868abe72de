/**
 * The V8 flags netlab runs with, in one place for every way it starts (deno.json tasks, the
 * shebang, `selfCommand`, `deno compile`, the perf scripts).
 *
 * V8 sizes each isolate's young generation from the machine's RAM (16 MB semi-spaces on a 24 GB
 * box) and lets the old generation grow fourfold before collecting it. `netlab bench --engine fetch`
 * runs two isolates that churn through garbage, which reached 290 MB of RSS within 300,000 requests;
 * with 4 MB semi-spaces and 1.5x growth 1,000,000 stay near 143 MB. A/B under wrk: `netlab balance`
 * lost nothing; `netlab serve` averaged 7% lower over 11 rounds, inside its round-to-round spread
 * (README). 2 MB semi-spaces cost serve more, `--optimize-for-size` about 20%.
 *
 * @module
 */

/** V8 flags, one per element. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--heap-growing-percent=50"];

/** The flags as one `deno run` / `deno compile` argument. */
export const V8_FLAGS_ARG: string = `--v8-flags=${V8_FLAGS.join(",")}`;
