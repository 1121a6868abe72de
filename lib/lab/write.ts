/**
 * Writes a lab's report files: report.md, results.json and report.html (charts inline).
 *
 * @module
 */
import { join } from "node:path";
import { renderLabCharts } from "./charts.ts";
import { renderLabHtml } from "./report_html.ts";
import { renderLabMarkdown } from "./report_md.ts";
import type { LabResult } from "./types.ts";

/** The files {@link writeLabReport} wrote. */
export interface LabReportFiles {
  /** Path of report.md. */
  markdown: string;
  /** Path of results.json. */
  json: string;
  /** Path of report.html. */
  html: string;
}

/**
 * Writes report.md, results.json and report.html into `dir` (created if missing).
 *
 * @param result a finished lab
 * @param dir output directory
 * @returns the paths written
 *
 * @example
 * ```ts ignore
 * import { runLab, writeLabReport } from "@netlab/netlab/lab";
 *
 * const files = await writeLabReport(await runLab(), "lab-report");
 * console.log(files.html);
 * ```
 */
export async function writeLabReport(result: LabResult, dir: string): Promise<LabReportFiles> {
  await Deno.mkdir(dir, { recursive: true });
  const files: LabReportFiles = {
    markdown: join(dir, "report.md"),
    json: join(dir, "results.json"),
    html: join(dir, "report.html"),
  };
  const charts = await renderLabCharts(result);
  await Deno.writeTextFile(files.markdown, renderLabMarkdown(result));
  await Deno.writeTextFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await Deno.writeTextFile(files.html, renderLabHtml(result, charts));
  return files;
}
