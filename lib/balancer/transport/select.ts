/**
 * Which engine a balancer runs on: epoll where it can (Linux, FFI allowed, IP literals only),
 * Deno.net everywhere else. Falling back is never an error: the Deno engine does the same job,
 * only with more CPU per connection.
 *
 * @module
 */
import { denoTransport } from "./deno.ts";
import { EpollTransport } from "./epoll.ts";
import { isIpLiteral } from "./_sockaddr.ts";
import type { EngineName, Transport } from "./transport.ts";

/** The engine names `--engine` accepts: `auto` picks epoll when it can. */
export const ENGINE_CHOICES = ["auto", "epoll", "deno"] as const;

/** An engine choice: a name, or `auto`. */
export type EngineChoice = EngineName | "auto";

/** The engine picked, and why it is not the one asked for (when it is not). */
export interface EngineSelection {
  transport: Transport;
  /** Set when epoll was wanted but the Deno engine runs instead: one line saying why. */
  notice?: string;
}

/**
 * Creates the engine for `choice`. `auto` and `epoll` both try epoll and fall back to Deno.net;
 * `notice` says why when `epoll` was asked for explicitly, or when FFI was denied on Linux.
 *
 * @param choice what the user asked for
 * @param hosts the listen host and every backend host (epoll needs IP literals)
 */
export function selectTransport(choice: EngineChoice, hosts: readonly string[]): EngineSelection {
  if (choice === "deno") return { transport: denoTransport() };
  const explicit = choice === "epoll";
  if (Deno.build.os !== "linux") {
    return explicit
      ? { transport: denoTransport(), notice: "the epoll engine needs Linux: using deno" }
      : { transport: denoTransport() };
  }
  const name = hosts.find((h) => !isIpLiteral(h));
  if (name !== undefined) {
    return explicit
      ? {
        transport: denoTransport(),
        notice: `the epoll engine needs IP addresses, not "${name}": using deno`,
      }
      : { transport: denoTransport() };
  }
  try {
    return { transport: new EpollTransport() };
  } catch (err) {
    const notice = err instanceof Deno.errors.NotCapable
      ? "the epoll engine needs FFI (run with --allow-ffi): using deno"
      : `cannot use the epoll engine (${(err as Error).message}): using deno`;
    return { transport: denoTransport(), notice };
  }
}
