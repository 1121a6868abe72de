/**
 * The lab of `netlab lab`: {@linkcode runLab} starts the servers, runs the bench matrix and stops
 * everything; the renderers turn its result into markdown, HTML with charts, and files. Charts
 * load vega, so this module is the heavy one.
 *
 * @example The lab's defaults
 * ```ts
 * import { labSettings } from "@netlab/netlab/lab";
 *
 * const settings = labSettings({ requests: 200 });
 * console.log(settings.balancerPort, settings.concurrencyLevels); // 44444 [ 1, 5, 10, 20, 50, 100 ]
 * ```
 *
 * @module
 */

export { labSettings, runLab } from "./lab.ts";
export type { LabHooks, LabOptions, LabProgress } from "./lab.ts";
export type {
  AnchorModel,
  AnchorStatus,
  BackendConnections,
  LabCell,
  LabEnvironment,
  LabModel,
  LabResult,
  LabServer,
  LabSettings,
} from "./types.ts";
export { renderComparison, renderConnections, renderLabMarkdown } from "./report_md.ts";
export { renderLabHtml } from "./report_html.ts";
export { labChartSpecs, renderLabCharts, renderSvg } from "./charts.ts";
export type { LabChart, LabChartSpec, VegaLiteSpec } from "./charts.ts";
export { writeLabReport } from "./write.ts";
export type { LabReportFiles } from "./write.ts";
