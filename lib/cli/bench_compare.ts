/**
 * `netlab bench compare BASE.json NEW.json`: reads two reports (bench JSON or a lab's
 * results.json), prints NEW against BASE per cell, and with `--fail-on-regression PCT` sets exit 1
 * when a cell is significantly slower by more than PCT percent.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";
import { NetlabError, UsageError } from "../errors.ts";
import type { BenchCell } from "../bench/cell.ts";
import { cellsOf, compareReports, regressions } from "../bench/compare.ts";
import { renderBenchComparison } from "../bench/render/compare.ts";
import { PLOT_HELP, writePlot } from "./bench_plot.ts";

/** Builds the `bench compare` subcommand. */
export function benchCompareCommand(ctx: CliContext): Command {
  return new Command("compare")
    .description("Compare two bench JSON reports (or lab results.json): is NEW faster or slower?")
    .argument("<base>", "the reference report")
    .argument("<new>", "the report to judge")
    .option(
      "--fail-on-regression <pct>",
      "exit 1 when a cell is significantly slower by more than PCT percent",
    )
    .option("--plot <file>", PLOT_HELP)
    .action(async (basePath, newPath, flags) => {
      let limit: number | null = null;
      if (flags.failOnRegression !== undefined) {
        limit = Number(flags.failOnRegression.replace(/%$/, ""));
        if (flags.failOnRegression.trim() === "" || !Number.isFinite(limit) || limit < 0) {
          throw new UsageError(
            `Invalid regression threshold "${flags.failOnRegression}": expected a percentage such as 5`,
          );
        }
      }
      const base = await readCells(basePath);
      const next = await readCells(newPath);
      const comparison = compareReports(base, next);
      ctx.print(renderBenchComparison(comparison));
      if (flags.plot !== undefined) {
        await writePlot(flags.plot, `netlab bench compare: ${basePath} → ${newPath}`, [
          { name: "BASE", cells: base },
          { name: "NEW", cells: next },
        ]);
      }
      if (limit !== null) {
        const bad = regressions(comparison, limit);
        if (bad.length > 0) {
          ctx.printErr(
            `netlab bench compare: ${bad.length} cell(s) slower by more than ${limit}%: ${
              bad.map((c) => `${c.key} (${c.slowdownPercent.toFixed(1)}%)`).join(", ")
            }\n`,
          );
          ctx.setExitCode(1);
        }
      }
    }) as unknown as Command;
}

async function readCells(path: string): Promise<BenchCell[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NetlabError(`Cannot read report "${path}": no such file`, { cause: err });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new NetlabError(`Cannot read report "${path}": permission denied`, { cause: err });
    }
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new NetlabError(`Cannot read report "${path}": not JSON`, { cause: err });
  }
  const cells = cellsOf(data);
  if (cells === null) {
    throw new NetlabError(
      `Cannot read report "${path}": not a netlab bench report (expected bench --format json or a lab's results.json)`,
    );
  }
  return cells;
}
