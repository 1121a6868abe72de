/**
 * errno values to the errors Deno.net throws for them: the same `Deno.errors` class and the same
 * message (glibc's strerror text, as Rust prints it, then "(os error N)"), so the code above the
 * transport catches the same errors, and logs read the same, whichever engine runs.
 *
 * @module
 */

type ErrorClass = new (message: string) => Error;

/** errno: [strerror text, class]; the errnos a socket call can plausibly give. */
const KNOWN: Record<number, [string, ErrorClass]> = {
  1: ["Operation not permitted", Deno.errors.PermissionDenied],
  4: ["Interrupted system call", Deno.errors.Interrupted],
  9: ["Bad file descriptor", Deno.errors.BadResource],
  12: ["Cannot allocate memory", Error],
  13: ["Permission denied", Deno.errors.PermissionDenied],
  22: ["Invalid argument", Error],
  23: ["Too many open files in system", Error],
  24: ["Too many open files", Error],
  32: ["Broken pipe", Deno.errors.BrokenPipe],
  97: ["Address family not supported by protocol", Error],
  98: ["Address already in use", Deno.errors.AddrInUse],
  99: ["Cannot assign requested address", Deno.errors.AddrNotAvailable],
  100: ["Network is down", Error],
  101: ["Network is unreachable", Deno.errors.NetworkUnreachable],
  103: ["Software caused connection abort", Deno.errors.ConnectionAborted],
  104: ["Connection reset by peer", Deno.errors.ConnectionReset],
  105: ["No buffer space available", Error],
  107: ["Transport endpoint is not connected", Deno.errors.NotConnected],
  110: ["Connection timed out", Deno.errors.TimedOut],
  111: ["Connection refused", Deno.errors.ConnectionRefused],
  113: ["No route to host", Deno.errors.NetworkUnreachable],
};

/** The error Deno would throw for `errno`; `call` (e.g. "connect") names an errno not listed. */
export function errnoError(errno: number, call: string): Error {
  const known = KNOWN[errno];
  if (known) return new known[1](`${known[0]} (os error ${errno})`);
  return new Error(`${call} failed (os error ${errno})`);
}

/** What a read or write on a closed socket rejects with, as in Deno. */
export function closedError(): Error {
  return new Deno.errors.BadResource("Bad resource ID");
}

/** The errnos that say a connect failed: refused, no route, timed out (none from an open socket). */
const CONNECT_FAILURES = new Set([100, 101, 110, 111, 112, 113]);

/**
 * Whether `errno` (from SO_ERROR or a send on a socket still connecting) says the connect
 * failed: refused, network or host unreachable or down, timed out. A reset or broken pipe says
 * the connection was made and then lost, which is not a failed connect.
 */
export function isConnectFailure(errno: number): boolean {
  return CONNECT_FAILURES.has(errno);
}
