import type { LabRun } from "./types.ts";

/** The lab's columns, exactly as the original report had them. */
export const LAB_COLUMNS: readonly string[] = [
  "No test",
  "Concurrency level",
  "Time taken for test (seconds)",
  "Complete request",
  "Failed request",
  "Total transferred (bytes)",
  "Request per second",
  "Time per request (ms)",
  "Transfer rate (Kbytes/sec)",
];

/** One markdown table in the lab's columns, a row per run. */
export function renderLabTable(runs: LabRun[]): string {
  const lines = [
    `| ${LAB_COLUMNS.join(" | ")} |`,
    `|${LAB_COLUMNS.map(() => "---:").join("|")}|`,
  ];
  runs.forEach((r, i) => {
    lines.push(
      `| ${
        [
          i + 1,
          r.concurrency,
          r.seconds.toFixed(3),
          r.complete,
          r.failed,
          r.totalBytes,
          r.requestsPerSecond.toFixed(2),
          r.timePerRequestMs.toFixed(3),
          r.transferKBps.toFixed(2),
        ].join(" | ")
      } |`,
    );
  });
  return lines.join("\n");
}
