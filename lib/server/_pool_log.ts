/**
 * Log records cross from a worker isolate to the supervisor: each worker has its own LogTape
 * configuration, whose only sink posts records to the parent, which re-emits them on its own
 * loggers with the worker's name in front, so the CLI's format and `--quiet` apply unchanged.
 *
 * @module
 */
import { configure, getLogger, type LogRecord } from "@logtape/logtape";
import type { FromWorker, WireLogRecord } from "./pool_protocol.ts";

/** Makes a value safe for `postMessage` (functions, symbols and odd objects become strings). */
function cloneable(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" ? String(value) : value;
  }
  if (value instanceof Error) return value;
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** Converts a record for the wire. */
export function toWire(record: LogRecord): WireLogRecord {
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.properties)) properties[k] = cloneable(v);
  return {
    category: [...record.category],
    level: record.level,
    message: record.message.map(cloneable),
    properties,
    timestamp: record.timestamp,
  };
}

/** Inside a worker: route every `netlab.*` record at `lowestLevel` or above to `post`. */
export async function forwardLogs(
  lowestLevel: "debug" | "info" | "warning",
  post: (msg: FromWorker) => void,
): Promise<void> {
  await configure({
    reset: true,
    sinks: { parent: (record) => post({ type: "log", record: toWire(record) }) },
    loggers: [
      { category: ["netlab"], sinks: ["parent"], lowestLevel },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
}

/** In the supervisor: emit a worker's record on the same category, naming the worker. */
export function reemit(record: WireLogRecord, workerId: number): void {
  const [first, ...rest] = record.message;
  const message = [`worker ${workerId}: ${typeof first === "string" ? first : ""}`, ...rest];
  if (typeof first !== "string") message.splice(1, 0, first, "");
  getLogger(record.category).emit({
    level: record.level,
    message,
    rawMessage: message.filter((_, i) => i % 2 === 0).join("{}"),
    timestamp: record.timestamp,
    properties: { ...record.properties, worker: workerId },
  });
}
