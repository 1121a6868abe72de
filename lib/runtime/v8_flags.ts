/**
 * The V8 flags netlab's load generator runs with, in one place for every way it starts (deno.json's
 * `lab` task, the shebang, `selfCommand`, `deno compile`, the perf scripts).
 *
 * V8 sizes each isolate's young generation from the machine's RAM (16 MB semi-spaces on a 24 GB
 * box) and lets the old generation grow fourfold before collecting it. `netlab bench --engine fetch`
 * runs two isolates that churn through garbage, which reached 290 MB of RSS within 300,000 requests;
 * with 4 MB semi-spaces and 1.5x growth 1,000,000 stay near 143 MB. The servers pay for the more
 * frequent scavenges instead (`netlab serve` averaged 7% lower over 11 A/B rounds under wrk), so
 * netlab starts its servers without them: see {@linkcode v8FlagsFor}.
 *
 * @module
 */

/** V8 flags, one per element. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--heap-growing-percent=50"];

/** The flags as one `deno run` / `deno compile` argument. */
export const V8_FLAGS_ARG: string = `--v8-flags=${V8_FLAGS.join(",")}`;

/** Subcommands that generate load in their own process (the lab runs its benchmark in-process). */
const LOAD_GENERATORS = new Set(["bench", "lab"]);

/**
 * The V8 flag arguments for a `deno run` of netlab with these arguments: the flags for a load
 * generator (`bench`, `lab`), none for a server, which keeps V8's throughput-minded defaults.
 *
 * @param args netlab arguments, e.g. `["serve", "--port", "0"]`
 * @returns `[V8_FLAGS_ARG]` or `[]`
 */
export function v8FlagsFor(args: readonly string[]): string[] {
  const sub = args.find((a) => !a.startsWith("-"));
  return sub !== undefined && LOAD_GENERATORS.has(sub) ? [V8_FLAGS_ARG] : [];
}
