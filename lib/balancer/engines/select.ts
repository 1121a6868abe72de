/**
 * Which engine a balancer runs on: epoll where it can (Linux, FFI allowed, IP literals only),
 * Deno.net everywhere else. Falling back is never an error: the Deno engine does the same job,
 * only with more CPU per connection.
 *
 * @module
 */
import { isIpLiteral } from "../../loop/sockaddr.ts";
import { openLibc } from "../../loop/_libc.ts";
import { DenoFrontend } from "./deno.ts";
import { EpollFrontend } from "./epoll.ts";
import type { FrontendFactory } from "./frontend.ts";
import type { EngineChoice, EngineName } from "./names.ts";

export { ENGINE_CHOICES, type EngineChoice } from "./names.ts";

/** The engine picked, and why it is not the one asked for (when it is not). */
export interface EngineSelection {
  name: EngineName;
  /** Creates the engine's frontend, listening. */
  listen: FrontendFactory;
  /** Set when epoll was wanted but the Deno engine runs instead: one line saying why. */
  notice?: string;
}

const deno: FrontendFactory = (ctx, host, port) => new DenoFrontend(ctx, host, port);
const epoll: FrontendFactory = (ctx, host, port) => new EpollFrontend(ctx, host, port);

/**
 * Picks the engine for `choice`. `auto` and `epoll` both try epoll and fall back to Deno.net;
 * `notice` says why when `epoll` was asked for explicitly, or when FFI was denied on Linux.
 *
 * @param choice what the user asked for
 * @param hosts the listen host and every backend host (epoll needs IP literals)
 */
export function selectEngine(choice: EngineChoice, hosts: readonly string[]): EngineSelection {
  if (choice === "deno") return { name: "deno", listen: deno };
  const explicit = choice === "epoll";
  const fallback = (notice: string): EngineSelection =>
    explicit ? { name: "deno", listen: deno, notice } : { name: "deno", listen: deno };
  if (Deno.build.os !== "linux") return fallback("the epoll engine needs Linux: using deno");
  const name = hosts.find((h) => !isIpLiteral(h));
  if (name !== undefined) {
    return fallback(`the epoll engine needs IP addresses, not "${name}": using deno`);
  }
  try {
    openLibc().close();
    return { name: "epoll", listen: epoll };
  } catch (err) {
    const notice = err instanceof Deno.errors.NotCapable
      ? "the epoll engine needs FFI (run with --allow-ffi): using deno"
      : `cannot use the epoll engine (${(err as Error).message}): using deno`;
    return { name: "deno", listen: deno, notice };
  }
}
