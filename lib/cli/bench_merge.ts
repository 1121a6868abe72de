/**
 * `netlab bench merge A.json B.json ...`: adds the cells of several bench reports (shards of one
 * run, or runs made on several machines at once) into one report, printed in any of bench's
 * formats.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { fileErrorReason, NetlabError } from "../errors.ts";
import type { BenchCell } from "../bench/cell.ts";
import { cellsOf } from "../bench/compare.ts";
import { MergeError, type MergeInput, mergeReports } from "../bench/merge.ts";
import type { BenchFormat } from "./bench_flags.ts";
import { renderReport } from "./bench_report.ts";
import { PLOT_HELP, writePlot } from "./bench_plot.ts";

const FORMATS = ["ab", "json", "csv", "markdown"] as const;

/** Builds the `bench merge` subcommand. */
export function benchMergeCommand(ctx: CliContext): Command {
  return new Command("merge")
    .description(
      "Add bench JSON reports (shards of one run) into one: exact counts, percentiles from the " +
        "merged histograms",
    )
    .argument("<reports...>", "bench --format json reports (kubectl logs output is fine)")
    .addOption(
      new Option("--format <format>", "report format").choices(FORMATS)
        .default("ab" as BenchFormat),
    )
    .option("--out <file>", "write the report to a file instead of standard output")
    .option("--plot <file>", PLOT_HELP)
    .option("--mixed", "add cells that differ in URL, method or concurrency instead of refusing")
    .action(async (paths, flags) => {
      const inputs: MergeInput[] = [];
      for (const path of paths) inputs.push({ name: path, cells: await readReport(path) });
      let cells: BenchCell[];
      try {
        cells = mergeReports(inputs, { mixed: flags.mixed ?? false });
      } catch (err) {
        if (err instanceof MergeError) throw new NetlabError(err.message, { cause: err });
        throw err;
      }
      for (const [i, c] of cells.entries()) {
        const count = inputs[0]!.cells[i]!.shard?.count;
        const shards = c.merged?.shards ?? [];
        if (count === undefined || shards.length === count) continue;
        const missing = Array.from({ length: count }, (_, k) => k).filter((k) =>
          !shards.includes(k)
        );
        ctx.printErr(
          `netlab bench merge: cell ${i + 1} has ${shards.length} of ${count} shards; missing ${
            missing.join(", ")
          }\n`,
        );
      }
      const text = renderReport(flags.format, cells);
      if (flags.out === undefined) ctx.print(text);
      else await writeText(flags.out, text);
      if (flags.plot !== undefined) {
        await writePlot(flags.plot, `netlab bench merge: ${paths.join(" + ")}`, [{
          name: "",
          cells,
        }]);
      }
    }) as unknown as Command;
}

/**
 * Reads a bench report. `kubectl logs` mixes a pod's stderr into its stdout, so when the whole file
 * is not JSON, the lines from the first that opens the array to the last that closes it are tried.
 */
export async function readReport(path: string): Promise<BenchCell[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = fileErrorReason(err);
    if (why === null) throw err;
    throw new NetlabError(`Cannot read report "${path}": ${why}`, { cause: err });
  }
  const data = parseJson(text) ?? parseJson(arrayLines(text));
  const cells = data === undefined ? null : cellsOf(data);
  if (cells === null) {
    throw new NetlabError(
      `Cannot read report "${path}": not a netlab bench JSON report (bench --format json)`,
    );
  }
  return cells;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function arrayLines(text: string): string {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l.startsWith("["));
  const to = lines.findLastIndex((l) => l.startsWith("]"));
  return from === -1 || to < from ? "" : lines.slice(from, to + 1).join("\n");
}

async function writeText(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "no such directory"
      : err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : null;
    if (why === null) throw err;
    throw new NetlabError(`Cannot write report to "${path}": ${why}`, { cause: err });
  }
}
