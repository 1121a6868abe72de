/**
 * One access-log line per request: client address, method, path, status, bytes and milliseconds.
 * The pool uses it too, so both servers log alike.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { formatAddress } from "../runtime/address.ts";
import type { Handler, Responder } from "../http/handler.ts";
import { targetStart } from "../http/_host.ts";

function clientOf(info: Deno.ServeHandlerInfo | undefined): string {
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
    const ms = Math.round((performance.now() - start) * 100) / 100;
    const url = req.url;
    // the request target as sent; a request refused for its Host (which req.url is built from)
    // is logged with the whole URL, so the log shows what the client claimed
    const target = targetStart(url, req.headers.get("host"));
    const raw = target < 0 ? url : url.slice(target);
    // a target or Host may carry spaces ("Host: x/ 200 6 1ms"): encoded, they cannot forge the
    // fields that follow
    const path = PRINTABLE.test(raw) ? raw : encodeURI(raw);
    const client = clientOf(info);
    const bytes = res.headers.get("content-length") ?? "-";
    logger.info(literal(`${client} ${req.method} ${path} ${res.status} ${bytes} ${ms}ms`), {
      client,
      method: req.method,
      path,
      status: res.status,
      bytes: bytes === "-" ? null : Number(bytes),
      ms,
    });
    return res;
  };
}
