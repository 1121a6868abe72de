/**
 * Builds the handler a pool worker runs: the shared static handler, with the same access log as
 * `netlab serve`, and (at debug level) a record as each request starts.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { createStaticResponder, type Responder, type StaticOptions } from "../http/handler.ts";
import { withAccessLog } from "../http/access_log.ts";

export type { Responder };

/**
 * The handler a worker serves with, logging at `logLevel` and above; `accessLog` false leaves the
 * access log to the engine (the epoll engine logs its fast-path answers itself).
 */
export function buildHandler(
  options: StaticOptions,
  logLevel: "debug" | "info" | "warning",
  accessLog = true,
): Responder {
  // The responder answers cached files synchronously, as `netlab serve` does: no promise per hit.
  let handler: Responder = createStaticResponder(options);
  if (accessLog && logLevel !== "warning") {
    handler = withAccessLog(handler, getLogger(["netlab", "access"]));
  }
  if (logLevel === "debug") {
    const log = getLogger(["netlab", "pool"]);
    const inner = handler;
    handler = (req, info) => {
      log.debug("started {method} {url}", { method: req.method, url: req.url });
      return inner(req, info);
    };
  }
  return handler;
}
