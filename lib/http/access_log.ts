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

/** Bodies up to this size leave with their head in one write: their length is what was sent. */
const WHOLE_BODY = 256 * 1024;
/** Statuses that never carry a body. */
const NO_BODY = new Set([204, 304]);

/**
 * `body` as a stream that counts the bytes its reader took and calls `done` with the count once,
 * when it ends, fails or is cancelled (the client went away).
 */
function counting(
  body: ReadableStream<Uint8Array>,
  done: (bytes: number) => void,
  open: Set<() => void> | undefined,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let ended = false;
  let cut = () => {};
  const end = () => {
    if (ended) return;
    ended = true;
    open?.delete(cut);
    done(bytes);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      cut = () => {
        end();
        controller.error(new Error("The server stopped before the body was sent"));
        void reader.cancel().catch(() => {});
      };
      open?.add(cut);
    },
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          end();
          controller.close();
          return;
        }
        bytes += next.value.byteLength;
        controller.enqueue(next.value);
      } catch (err) {
        end();
        controller.error(err);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Wraps `handler` so every request logs one info line on `logger`, with the same fields as
 * structured properties for `--log-format json`. The bytes are the body bytes sent (nginx's
 * `$body_bytes_sent`): a streamed body is logged when it ends, with what the server took of it,
 * so a download cut short says so; a body up to 256 KiB leaves in one write and is logged at
 * once. The time is until then.
 *
 * @param handler The handler to wrap.
 * @param logger Where the lines go, e.g. `getLogger(["netlab", "access"])`.
 * @param open Where the bodies being streamed register a function that cuts them short (logging
 * what was sent): a server calls them when its drain runs out of time.
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
export function withAccessLog(
  handler: Responder,
  logger: Logger,
  open?: Set<() => void>,
): Handler {
  return async (req, info) => {
    const start = performance.now();
    const res = await handler(req, info);
    const url = req.url;
    // the request target as sent; a request refused for its Host (which req.url is built from)
    // is logged with the whole URL, so the log shows what the client claimed
    const target = targetStart(url, req.headers.get("host"));
    const raw = target < 0 ? url : url.slice(target);
    // (a target or Host may carry spaces: logAccess() encodes them)
    const log = (bytes: number) =>
      logAccess(
        logger,
        clientOf(info),
        req.method,
        raw,
        res.status,
        String(bytes),
        elapsedMs(start),
      );
    // read the length first: touching a byte body's `body` would make Deno.serve stream it
    const length = res.headers.get("content-length");
    if (req.method === "HEAD" || NO_BODY.has(res.status)) log(0);
    else if (length !== null && Number(length) <= WHOLE_BODY) log(Number(length));
    else if (res.body === null) log(0);
    else {
      return new Response(counting(res.body, log, open), {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    }
    return res;
  };
}
