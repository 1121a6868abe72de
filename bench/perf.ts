/**
 * `deno task perf [section...]`: loads netlab and its anchors (nginx, HAProxy, wrk, ab) in turn in
 * one run and prints side-by-side ratios. Sections live in `bench/<section>.ts` and export
 * `run(): Promise<PerfRow[]>`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { type PerfRow, renderRows } from "./_tools.ts";

/** What a bare `deno task perf` runs. */
const SECTIONS = ["serve", "pool", "balance", "bench"];

/** Every section that can be named: `bench/<name>.ts`, helpers (`_*.ts`) and this file aside. */
const known = [...Deno.readDirSync(new URL(".", import.meta.url))]
  .map((e) => /^([a-z][\w-]*)\.ts$/.exec(e.name)?.[1])
  .filter((name): name is string => name !== undefined && name !== "perf")
  .sort((a, b) => a.localeCompare(b));

const wanted = Deno.args.length > 0 ? Deno.args : SECTIONS;
const unknown = wanted.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(
    `perf: unknown section${unknown.length > 1 ? "s" : ""} ${
      unknown.map((n) => `"${n}"`).join(", ")
    }; the sections are ${known.join(", ")}`,
  );
  Deno.exit(2);
}
const rows: PerfRow[] = [];
for (const name of wanted) {
  const url = new URL(`./${name}.ts`, import.meta.url);
  console.error(`perf: ${name} ...`);
  const mod = await import(url.href) as { run(): Promise<PerfRow[]> };
  const got = await mod.run();
  console.error(renderRows(got));
  rows.push(...got);
}
console.log(`\n${renderRows(rows)}`);
