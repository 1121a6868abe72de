/**
 * Whether this machine has an IPv6 loopback, for tests that need `::1`: they are reported as
 * ignored, "(needs IPv6 loopback)" in their names, where it is missing, never as passed.
 *
 * @module
 */

function ipv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** True when `::1` can be listened on. */
export const HAS_IPV6: boolean = ipv6Loopback();
