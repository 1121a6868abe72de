/**
 * `deno task perf [section...]`: loads netlab and its anchors (nginx, HAProxy, wrk, ab) in turn in
 * one run and prints side-by-side ratios. Sections live in `bench/<section>.ts` and export
 * `run(): Promise<PerfRow[]>`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { type PerfRow, renderRows } from "./_tools.ts";

const SECTIONS = ["serve", "pool", "balance", "bench"];

const wanted = Deno.args.length > 0 ? Deno.args : SECTIONS;
const rows: PerfRow[] = [];
for (const name of wanted) {
  const url = new URL(`./${name}.ts`, import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    console.error(`perf: no section ${name} yet (bench/${name}.ts)`);
    continue;
  }
  console.error(`perf: ${name} ...`);
  const mod = await import(url.href) as { run(): Promise<PerfRow[]> };
  const got = await mod.run();
  console.error(renderRows(got));
  rows.push(...got);
}
console.log(`\n${renderRows(rows)}`);
