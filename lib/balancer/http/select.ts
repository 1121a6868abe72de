/**
 * The engine of the http mode: netlab's event loop, or a clear refusal where it cannot run.
 *
 * @module
 */
import type { BalancerSettings } from "../options.ts";
import { type EngineChoice, type EngineSelection, selectEngine } from "../engines/select.ts";
import { HttpFrontend } from "./frontend.ts";

/**
 * The http-mode engine for `choice`.
 *
 * @throws {TypeError} when the epoll engine cannot run here (`--engine deno`, not Linux, host
 *   names, no FFI), saying why
 */
export function selectHttpEngine(
  choice: EngineChoice,
  hosts: readonly string[],
  o: BalancerSettings,
): EngineSelection {
  if (choice === "deno") {
    throw new TypeError("The http mode runs on the epoll engine only, not --engine deno");
  }
  const epoll = selectEngine("epoll", hosts);
  if (epoll.name !== "epoll") {
    const why = epoll.notice?.replace(/: using deno$/, "") ?? "the epoll engine cannot run here";
    throw new TypeError(`The http mode cannot run: ${why}`);
  }
  const http = {
    serverTimeoutMs: o.serverTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    queueTimeoutMs: o.connectTimeoutMs,
    backendConns: o.backendConns,
    backendQueue: o.backendQueue,
    forwarded: o.forwarded,
  };
  return {
    name: "epoll",
    listen: (ctx, host, port) => new HttpFrontend(ctx, host, port, http),
  };
}
