/**
 * Ties a server's shutdown to an AbortSignal without leaving a listener behind on a signal that
 * outlives the server.
 *
 * @module
 */

/** Calls `stop` when `signal` aborts (at once if it already has), until `finished` settles. */
export function stopOnAbort(
  signal: AbortSignal | undefined,
  stop: () => unknown,
  finished: Promise<unknown>,
): void {
  if (signal === undefined) return;
  if (signal.aborted) {
    stop();
    return;
  }
  const onAbort = () => void stop();
  signal.addEventListener("abort", onAbort, { once: true });
  void finished.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
}
