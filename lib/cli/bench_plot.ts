/**
 * `--plot FILE.html` of `netlab bench`, `bench merge` and `bench compare`: the page of charts
 * (lib/plot/bench_page.ts) written to FILE, with a one-line error when it cannot be.
 *
 * @module
 */
import { fileErrorReason, NetlabError } from "../errors.ts";
import { type PlotSide, renderBenchPlot } from "../plot/bench_page.ts";

/** The `--plot` option's description, the same on each command. */
export const PLOT_HELP =
  "write an HTML page of charts to FILE: latency by percentile, req/s, p50/p99 and errors per second";

/**
 * Renders and writes the page.
 *
 * @param path where to write it
 * @param title its heading
 * @param sides the cells to draw
 */
export async function writePlot(path: string, title: string, sides: PlotSide[]): Promise<void> {
  const html = await renderBenchPlot(title, sides);
  try {
    await Deno.writeTextFile(path, html);
  } catch (err) {
    const why = fileErrorReason(err, "no such directory");
    if (why === null) throw err;
    throw new NetlabError(`Cannot write --plot "${path}": ${why}`, { cause: err });
  }
}
