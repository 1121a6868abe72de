/**
 * Writes a lab's report files: report.md, results.json and report.html (charts inline), each lab
 * into its own timestamped folder, with a `latest` link to the newest.
 *
 * @module
 */
import { basename, join } from "node:path";
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

/** "2026-12-02T08:17:05.123Z" -> "2026-12-02T08-17-05Z": sortable, no colons. */
export function runFolderName(startedAt: string): string {
  return startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
}

/**
 * Creates this lab's own folder under `out` (named after its start, "-2", "-3", ... when two labs
 * started in the same second) and points `out/latest` at it.
 *
 * @param out the `--out` folder (created if missing)
 * @param startedAt when the lab started (ISO 8601)
 * @returns the new folder's path
 */
export async function createRunFolder(out: string, startedAt: string): Promise<string> {
  await Deno.mkdir(out, { recursive: true });
  const name = runFolderName(startedAt);
  for (let n = 1;; n++) {
    const dir = join(out, n === 1 ? name : `${name}-${n}`);
    try {
      await Deno.mkdir(dir);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) continue;
      throw err;
    }
    // A new link renamed over the old one: `latest` is never missing, even for a moment.
    const temp = join(out, `.latest-${crypto.randomUUID()}`);
    await Deno.symlink(basename(dir), temp);
    await Deno.rename(temp, join(out, "latest"));
    return dir;
  }
}
