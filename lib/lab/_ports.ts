import { NetlabError, UsageError } from "../cli/errors.ts";

/** A port the lab needs, with who needs it and the flag that changes it. */
export interface PortNeed {
  port: number;
  what: string;
  flag: string;
}

/**
 * Fails fast, before any child starts, when a port is taken twice or already in use: a one-line
 * error naming the port and the flag that changes it. Port 0 (any free port) is always fine.
 */
export function checkPortsFree(host: string, needs: PortNeed[]): void {
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
  const where = host.includes(":") ? `[${host}]` : host;
  for (const need of seen.values()) {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ hostname: host, port: need.port });
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) {
        throw new NetlabError(
          `Cannot listen on ${where}:${need.port}: address already in use (needed by the ${need.what}; change it with ${need.flag})`,
          { cause: err },
        );
      }
      if (
        err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.AddrNotAvailable
      ) {
        throw new NetlabError(`Cannot listen on ${where}:${need.port}: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
    listener.close();
  }
}

/** A port that was free a moment ago (for helpers that cannot report the port they took). */
export function freePort(host: string): number {
  const listener = Deno.listen({ hostname: host, port: 0 });
  try {
    return (listener.addr as Deno.NetAddr).port;
  } finally {
    listener.close();
  }
}
