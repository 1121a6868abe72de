/**
 * The two tiers of expected error. Only `main.ts` maps them to exit codes; everything else throws.
 *
 * @module
 */
import { formatAddress } from "./runtime/address.ts";
import { heldOnlyByTimeWait } from "./runtime/time_wait.ts";

/** An expected failure at run time (port in use, root missing): one line, exit 1. */
export class NetlabError extends Error {
  /** The process exit code `main.ts` uses for this error. */
  readonly exitCode: number = 1;
  override name = "NetlabError";
}

/** A bad flag, value or argument: one line plus a hint to `--help`, exit 2. */
export class UsageError extends NetlabError {
  override readonly exitCode: number = 2;
  override name = "UsageError";
}

/**
 * Turns an error from `Deno.listen`/`Deno.serve` into the one-line message users expect, or returns
 * the error unchanged when it is not one we know.
 */
export function listenError(host: string, port: number, err: unknown): unknown {
  const where = formatAddress(host, port);
  if (err instanceof Deno.errors.AddrInUse) {
    const why = heldOnlyByTimeWait(port)
      ? "address still held by closed connections in TIME-WAIT (free again within 60 s)"
      : "address already in use";
    return new NetlabError(`Cannot listen on ${where}: ${why}`, { cause: err });
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return new NetlabError(`Cannot listen on ${where}: permission denied`, { cause: err });
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return new NetlabError(`Cannot listen on ${where}: address not available`, { cause: err });
  }
  // Deno reports a failed name lookup as a plain Error; its message is all there is to go on.
  if (err instanceof Error && err.message.startsWith("failed to lookup address information")) {
    return new NetlabError(`Cannot listen on ${where}: cannot resolve host "${host}"`, {
      cause: err,
    });
  }
  return err;
}

/**
 * Why a file operation failed, in the words of netlab's messages ("no such file", "permission
 * denied", "it is a directory"), or null for an error that is not one of those.
 */
export function fileErrorReason(err: unknown, notFound = "no such file"): string | null {
  if (err instanceof Deno.errors.NotFound) return notFound;
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return null;
}
