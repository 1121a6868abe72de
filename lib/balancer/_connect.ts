/** Connection errors the balancer expects from a backend and turns into "try the next one". */
export class BackendConnectError extends Error {
  override name = "BackendConnectError";
}

/**
 * Opens a TCP connection to host:port, giving up after `timeoutMs` or when `signal` aborts (a
 * shutdown). Uses a private controller, not `AbortSignal.timeout`, because the signal stays tied
 * to the socket and would close a connection that succeeded.
 */
export async function connectWithTimeout(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Deno.TcpConn> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) controller.abort();
  try {
    return await Deno.connect({ hostname: host, port, signal: controller.signal });
  } catch (err) {
    if (timedOut) {
      throw new BackendConnectError(`connect timed out after ${timeoutMs} ms`, { cause: err });
    }
    if (
      err instanceof Deno.errors.ConnectionRefused ||
      err instanceof Deno.errors.ConnectionReset ||
      err instanceof Deno.errors.TimedOut ||
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.AddrNotAvailable ||
      err instanceof Deno.errors.NetworkUnreachable ||
      err instanceof Deno.errors.ConnectionAborted
    ) {
      throw new BackendConnectError(describeConnectError(err), { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** A failed connect's reason for logs: "connection refused", "connection timed out", ... */
export function describeConnectError(err: Error): string {
  if (err instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (err instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (err instanceof Deno.errors.NotFound) return "host not found";
  return err.message.split(" (os error")[0]!.toLowerCase();
}
