/**
 * errno values to the `Deno.errors` classes Deno.net throws for them, so the code above the
 * transport catches the same errors whichever engine runs.
 *
 * @module
 */

const NAMES: Record<number, [string, new (message: string) => Error]> = {
  9: ["bad file descriptor", Deno.errors.BadResource],
  32: ["broken pipe", Deno.errors.BrokenPipe],
  98: ["address already in use", Deno.errors.AddrInUse],
  99: ["address not available", Deno.errors.AddrNotAvailable],
  101: ["network is unreachable", Deno.errors.NetworkUnreachable],
  103: ["connection aborted", Deno.errors.ConnectionAborted],
  104: ["connection reset", Deno.errors.ConnectionReset],
  107: ["socket is not connected", Deno.errors.NotConnected],
  110: ["connection timed out", Deno.errors.TimedOut],
  111: ["connection refused", Deno.errors.ConnectionRefused],
  113: ["no route to host", Deno.errors.NetworkUnreachable],
  13: ["permission denied", Deno.errors.PermissionDenied],
  1: ["operation not permitted", Deno.errors.PermissionDenied],
};

/** The error Deno would throw for `errno` from `call` (e.g. "connect"). */
export function errnoError(errno: number, call: string): Error {
  const known = NAMES[errno];
  if (known) return new known[1](`${known[0]} (os error ${errno})`);
  return new Error(`${call} failed (os error ${errno})`);
}

/** What a read or write on a closed socket rejects with, as in Deno. */
export function closedError(): Error {
  return new Deno.errors.BadResource("Bad resource ID");
}
