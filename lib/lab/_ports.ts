import { NetlabError, UsageError } from "../errors.ts";
import { formatAddress } from "../runtime/address.ts";
import { heldOnlyByTimeWait, TIME_WAIT_MS } from "../runtime/time_wait.ts";

/** A port the lab needs, with who needs it and the flag that changes it. */
export interface PortNeed {
  port: number;
  what: string;
  flag: string;
  /**
   * False for the lab's default, which gives way to any free port when busy; a port that was
   * asked for (true, the default) must be had or the lab fails.
   */
  given?: boolean;
}

/** What {@link checkPortsFree} may wait for, and whom it tells. */
export interface PortWait {
  signal?: AbortSignal | undefined;
  /** Called once per port that is held only by TIME-WAIT connections, before waiting for it. */
  onWait?: ((port: number) => void) | undefined;
}

/**
 * Fails fast, before any child starts, when a port is taken twice or already in use: a one-line
 * error naming the port and the flag that changes it. Port 0 (any free port) is always fine. A port
 * held only by connections in TIME-WAIT is waited for (at most a minute), not reported as taken.
 */
export async function checkPortsFree(
  host: string,
  needs: PortNeed[],
  wait: PortWait = {},
): Promise<void> {
  const seen = new Map<number, PortNeed>();
  for (const need of needs) {
    if (need.port === 0) continue;
    const other = seen.get(need.port);
    if (other) {
      throw new UsageError(
        `Port ${need.port} is given to both the ${other.what} and the ${need.what}`,
      );
    }
    seen.set(need.port, need);
  }
  for (const need of seen.values()) {
    const until = Date.now() + TIME_WAIT_MS;
    let told = false;
    while (!tryListen(host, need)) {
      if (!heldOnlyByTimeWait(need.port) || Date.now() > until) throw inUse(host, need);
      if (!told) wait.onWait?.(need.port);
      told = true;
      wait.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function inUse(host: string, need: PortNeed): NetlabError {
  return new NetlabError(
    `Cannot listen on ${
      formatAddress(host, need.port)
    }: address already in use (needed by the ${need.what}; change it with ${need.flag})`,
  );
}

/**
 * The ports to start the servers on, in the order of `needs`. Ports that were asked for are
 * checked as {@linkcode checkPortsFree} does; a default port that is busy (or asked for by another
 * server) becomes 0, any free port, which the server reports in its ready line once bound. Nothing
 * is probed and released for later: the server binds its port itself.
 */
export async function choosePorts(
  host: string,
  needs: PortNeed[],
  wait: PortWait = {},
): Promise<number[]> {
  checkHost(host);
  const given = needs.filter((n) => n.given !== false);
  await checkPortsFree(host, given, wait);
  const taken = new Set(given.map((n) => n.port).filter((p) => p !== 0));
  return needs.map((need) => {
    if (need.given !== false || need.port === 0) return need.port;
    if (taken.has(need.port) || !tryListen(host, need)) return 0;
    taken.add(need.port);
    return need.port;
  });
}

/** Fails with one line naming --host when nothing can listen on `host` at all. */
export function checkHost(host: string): void {
  try {
    Deno.listen({ hostname: host, port: 0 }).close();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || !(err instanceof Error)) throw err;
    const why = err instanceof Deno.errors.AddrNotAvailable
      ? "address not available"
      : err.message.startsWith("failed to lookup address")
      ? "cannot resolve it"
      : err.message.replace(/ \(os error \d+\)$/, "");
    throw new NetlabError(`Cannot listen on "${host}" (--host): ${why}`, { cause: err });
  }
}

/** Binds and releases the port: true if it could be had, false if it is in use. */
function tryListen(host: string, need: PortNeed): boolean {
  try {
    Deno.listen({ hostname: host, port: need.port }).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return false;
    if (
      err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.AddrNotAvailable
    ) {
      throw new NetlabError(`Cannot listen on ${formatAddress(host, need.port)}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}
