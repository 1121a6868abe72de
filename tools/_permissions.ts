/**
 * The permissions a `deno compile`d netlab is built with: what the five commands need, not `-A`.
 * The bundle tests run the bundle with exactly these flags too, so a command that needs more fails
 * a test even on a machine that cannot build the binary.
 *
 * @module
 */

/** `deno compile` permission flags, each with the reason it is there. */
export const PERMISSIONS: readonly string[] = [
  // serve/pool listen, balance listens and connects to backends, bench and lab connect.
  "--allow-net",
  // serve/pool read --root, --cert and --key, which can be anywhere the user points them.
  "--allow-read",
  // lab writes its report to --out (anywhere); a bundle also writes its www/ into the user cache.
  "--allow-write",
  // NO_COLOR, NETLAB_DEBUG, HOME/XDG_CACHE_HOME for the cache, and what the npm libraries read.
  "--allow-env",
  // lab starts each server as a child process of this same executable.
  "--allow-run",
  // the lab report records the machine (CPU count and model, OS); pool sizes itself to the CPUs.
  "--allow-sys",
];
