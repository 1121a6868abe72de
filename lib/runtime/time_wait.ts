/**
 * Tells a port that is really taken from one held only by closed connections in TIME-WAIT.
 *
 * The lab's default ports (44444, 45000, 46000) lie in Linux's ephemeral range, so after a heavy
 * load an outgoing connection may have used one as its source port; its TIME-WAIT entry then blocks
 * `bind()` for up to 60 s, even with SO_REUSEADDR. That is worth waiting out, not reporting as
 * "in use".
 *
 * @module
 */

/** TCP states in /proc/net/tcp, as hex. */
const TIME_WAIT = "06";

/**
 * True when every socket bound to local `port` is in TIME-WAIT (and there is at least one).
 * Always false where /proc/net/tcp cannot be read (not Linux, no permission).
 */
export function heldOnlyByTimeWait(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let found = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
        continue;
      }
      throw err;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || !local.endsWith(`:${hexPort}`)) continue;
      if (fields[3] !== TIME_WAIT) return false;
      found = true;
    }
  }
  return found;
}

/** How long Linux keeps a connection in TIME-WAIT (TCP_TIMEWAIT_LEN), plus a margin. */
export const TIME_WAIT_MS = 61_000;
