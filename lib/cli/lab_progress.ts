/**
 * `netlab lab`'s progress lines: servers started, each run's figures, ports moved or waited for,
 * as plain text for people or JSON records with `--log-format json`.
 *
 * @module
 */
import type { LabProgress } from "../lab/lab.ts";

/** Says one line: plain text for people, or a JSON record with `--log-format json`. */
export type Say = (text: string, properties: Record<string, unknown>) => void;

/** The lab's progress lines; with --quiet only a moved port is worth one. */
export function progressPrinter(
  quiet: boolean,
  say: Say,
  routeWidth: number,
): (event: LabProgress) => void {
  return (event) => {
    // a port other than the one the user expects is worth a line even with --quiet
    if (quiet && event.kind !== "moved") return;
    if (event.kind === "ready") {
      for (const s of event.servers) {
        say(`started the ${s.name} on ${s.address} (pid ${s.pid})`, { ...s });
      }
    } else if (event.kind === "run") {
      const { cell: { model, route }, run: r } = event;
      say(progressLine(event, routeWidth), {
        index: event.index,
        total: event.total,
        model,
        route,
        concurrency: r.concurrency,
        requestsPerSecond: r.requestsPerSecond,
        p99Ms: r.percentiles["99"] ?? null,
        failed: r.failed,
        clientCpuPercent: r.client.cpuPercent,
      });
    } else if (event.kind === "interrupted") {
      say(`stopping early: ${event.reason}`, { reason: event.reason });
    } else if (event.kind === "moved") {
      say(
        `port ${event.wanted} is busy: the ${event.server} listens on ${event.address} instead (give ${event.flag} to insist on a port)`,
        { ...event },
      );
    } else if (event.kind === "waiting") {
      say(
        `port ${event.port} is still held by closed connections in TIME-WAIT; waiting for the kernel to free it (at most a minute)`,
        { port: event.port },
      );
    } else {
      say("stopped every server", {});
    }
  };
}

/** One run's line: where it is in the lab, which cell, and its figures. */
function progressLine(event: LabProgress & { kind: "run" }, routeWidth: number): string {
  const { cell: { model, route }, run: r } = event;
  const width = String(event.total).length;
  const p99 = r.percentiles["99"];
  return `[${String(event.index).padStart(width)}/${event.total}] ${model.padEnd(10)} ${
    route.padEnd(routeWidth)
  } c=${String(r.concurrency).padEnd(4)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${
    p99 === undefined ? "-" : `${p99.toFixed(1)} ms`
  }  ${r.failed} failed${r.client.saturated ? "  client-bound" : ""}`;
}
