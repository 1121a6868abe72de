/**
 * Which HTTP engine serves: netlab's own HTTP/1.1 engine on the event loop (`epoll`) or
 * `Deno.serve` (`deno`, which also does HTTP/2).
 *
 * @module
 */
import { isIpLiteral } from "../loop/mod.ts";
import { tlsUnavailable } from "../tls/_ssl.ts";

/** What `--engine` asks for. */
export type EngineChoice = "auto" | "epoll" | "deno";
/** What actually runs. */
export type Engine = "epoll" | "deno";

/** The engine to run, and why `epoll` was not possible when it was not. */
export interface EnginePick {
  engine: Engine;
  /** Why the epoll engine cannot run here (set whenever `engine` is `deno` for that reason). */
  reason?: string;
}

/** What decides whether the epoll engine can run. */
export interface EngineNeeds {
  /** TLS asked for (`--cert`). */
  tls: boolean;
  /** The address to listen on. */
  host: string;
  /** A pool with queue dispatch (its main thread accepts with Deno.serve). */
  queue?: boolean;
}

/** Why the epoll engine cannot serve `needs` here, or undefined when it can. */
export function epollUnavailable(needs: EngineNeeds): string | undefined {
  if (Deno.build.os !== "linux") return `it runs on Linux only, not ${Deno.build.os}`;
  if (needs.queue) return "queue dispatch hands requests out from Deno.serve";
  if (!isIpLiteral(needs.host)) return `it listens on IP addresses only, not "${needs.host}"`;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "it needs --allow-ffi";
  }
  // TLS on the loop needs OpenSSL 3: where it is missing, say so and serve HTTPS on Deno.serve
  return needs.tls ? tlsUnavailable() : undefined;
}

/**
 * Picks the engine for `choice`: `auto` is `epoll` where it can run and `deno` otherwise;
 * `epoll` where it cannot run falls back to `deno` with the reason.
 */
export function pickEngine(choice: EngineChoice, needs: EngineNeeds): EnginePick {
  if (choice === "deno") return { engine: "deno" };
  const reason = epollUnavailable(needs);
  return reason === undefined ? { engine: "epoll" } : { engine: "deno", reason };
}
