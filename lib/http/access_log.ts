/**
 * One access-log line per request: client address, method, path, status, bytes and milliseconds.
 * Every server and engine logs through it, so their lines read alike.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { formatAddress } from "../runtime/address.ts";
import type { Handler, Responder } from "./handler.ts";
import { targetStart } from "./_host.ts";

/** The client as the access log writes it: `host:port`, IPv6 in brackets, or `-`. */
export function clientOf(info: Deno.ServeHandlerInfo | undefined): string {
  const addr = info?.remoteAddr;
  if (addr === undefined || !("hostname" in addr)) return "-";
  return formatAddress(addr.hostname, addr.port);
}

/** Visible ASCII only: no spaces or control characters. */
const PRINTABLE = /^[\x21-\x7e]*$/;

/** Escapes LogTape's message-template braces so paths are logged verbatim. */
function literal(text: string): string {
  return text.includes("{") || text.includes("}")
    ? text.replaceAll("{", "{{").replaceAll("}", "}}")
    : text;
}

/**
 * Writes one access-log line: `client method path status bytes ms` as text, the same fields as
 * structured properties for `--log-format json`. Both engines log through it.
 */
export function logAccess(
  logger: Logger,
  client: string,
  method: string,
  rawPath: string,
  status: number,
  bytes: string,
  ms: number,
): void {
  // a path may carry spaces or control bytes: encoded, they cannot forge the fields that follow
  const path = PRINTABLE.test(rawPath) ? rawPath : encodeURI(rawPath);
  logger.info(literal(`${client} ${method} ${path} ${status} ${bytes} ${ms}ms`), {
    client,
    method,
    path,
    status,
    bytes: bytes === "-" ? null : Number(bytes),
    ms,
  });
}

/** Milliseconds since `start` (performance.now()), rounded to two decimals as logged. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/**
 * Wraps `handler` so every request logs one info line on `logger`, with the same fields as
 * structured properties for `--log-format json`. The time is until the response head is ready.
 *
 * @param handler The handler to wrap.
 * @param logger Where the lines go, e.g. `getLogger(["netlab", "access"])`.
 * @returns The wrapped handler.
 *
 * @example
 * ```ts ignore
 * import { getLogger } from "@logtape/logtape";
 * import { createStaticHandler, withAccessLog } from "@netlab/netlab/server";
 *
 * const handler = withAccessLog(createStaticHandler({ root: "." }), getLogger(["app"]));
 * Deno.serve(handler);
 * ```
 */
export function withAccessLog(handler: Responder, logger: Logger): Handler {
  return async (req, info) => {
    const start = performance.now();
    const res = await handler(req, info);
    const ms = elapsedMs(start);
    const url = req.url;
    // the request target as sent; a request refused for its Host (which req.url is built from)
    // is logged with the whole URL, so the log shows what the client claimed
    const target = targetStart(url, req.headers.get("host"));
    const raw = target < 0 ? url : url.slice(target);
    // (a target or Host may carry spaces: logAccess() encodes them)
    const bytes = res.headers.get("content-length") ?? "-";
    logAccess(logger, clientOf(info), req.method, raw, res.status, bytes, ms);
    return res;
  };
}
