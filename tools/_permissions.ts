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
  // NETLAB_DEBUG, HOME/XDG_CACHE_HOME for a bundle's cache, and what the npm libraries read
  // (commander asks for NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE): a fixed list would break on the
  // first library update that reads one more, and reading the environment exposes little.
  "--allow-env",
  // lab starts each server as a child process of this same executable (whose path is only known
  // at run time, so it cannot be named here).
  "--allow-run",
  // balance's epoll engine calls libc (socket, epoll_wait, ...) through Deno.dlopen; without it
  // balance falls back to the slower Deno.net engine.
  "--allow-ffi",
  // bench's JSON cells and the lab's report record the load average (Deno.loadavg()); nothing else
  // of the system is read (pool sizes itself with navigator.hardwareConcurrency, which needs none).
  "--allow-sys=loadavg",
  // Not granted: the rest of --allow-sys, --allow-import.
];
