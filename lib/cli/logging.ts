/**
 * LogTape set-up for the CLI: human text by default, JSON lines for machines, nothing with `--quiet`.
 * Library code only calls `getLogger(["netlab", ...])`; `main.ts` decides where records go.
 *
 * @module
 */
import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getStreamSink,
  getTextFormatter,
  type LogRecord,
} from "@logtape/logtape";
import { Option } from "@commander-js/extra-typings";

/** How log records are written. */
export type LogFormat = "text" | "json";

/** `--log-format text|json`, as every server command (serve, pool, balance) takes it. */
export function logFormatOption(): Option<
  "--log-format <format>",
  undefined,
  LogFormat,
  undefined,
  false,
  LogFormat
> {
  return new Option("--log-format <format>", "log format").choices(["text", "json"] as const)
    .default("text" as LogFormat);
}

/** Options shared by every long-running command. */
export interface LogOptions {
  /** Output format. @default {"text"} */
  logFormat?: LogFormat;
  /** Drop info-level records (access logs, per-connection lines); warnings and errors stay. */
  quiet?: boolean;
}

/** Sends `netlab.*` records to `stream` in the chosen format. */
export async function setupLogging(
  options: LogOptions,
  stream: WritableStream<Uint8Array>,
): Promise<void> {
  const formatter = options.logFormat === "json"
    ? getJsonLinesFormatter()
    : getTextFormatter({ timestamp: "date-time-tz", level: "ABBR", category: "." });
  await configure({
    reset: true,
    sinks: { out: getStreamSink(stream, { formatter }) },
    loggers: [
      { category: ["netlab"], sinks: ["out"], lowestLevel: options.quiet ? "warning" : "info" },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
}

/**
 * A line `netlab <command>` prints even under `--quiet`, in the chosen log format; the JSON form
 * names the command's own logger.
 */
export function noticeLine(
  command: string,
  message: string,
  format: LogFormat,
  properties: Record<string, unknown> = {},
): string {
  if (format !== "json") return `netlab ${command}: ${message}\n`;
  return `${
    JSON.stringify({
      "@timestamp": new Date().toISOString(),
      level: "INFO",
      message,
      logger: `netlab.${command === "serve" ? "server" : command}`,
      properties,
    })
  }\n`;
}

/**
 * The readiness line: tools and the lab read the port from it, so `--quiet` keeps it. It names
 * the HTTP engine when given one: `listening on http://127.0.0.1:8000/ (engine epoll)`.
 */
export function listeningLine(
  command: string,
  url: string,
  format: LogFormat,
  engine?: string,
): string {
  return engine === undefined
    ? noticeLine(command, `listening on ${url}`, format, { url })
    : noticeLine(command, `listening on ${url} (engine ${engine})`, format, { url, engine });
}

/** How long exit waits for the log stream to take the last records. */
const FLUSH_TIMEOUT_MS = 2000;

/**
 * Flushes pending records; call before the process exits. Gives up after a while: a parent that
 * pipes stderr and stopped reading it (a full pipe) must not keep a stopped server alive forever.
 */
export async function teardownLogging(): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    dispose(),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
}

/** Renders a record as one plain line; useful for tests that collect logs in memory. */
export function plainLine(record: LogRecord): string {
  return record.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}
