/**
 * `host:port` as people and URLs write it.
 *
 * @module
 */

/**
 * Formats a host and port as `host:port`, with brackets around an IPv6 address (`[::1]:8000`), as
 * URLs, logs and `--backend` values write it.
 *
 * @param host a name, an IPv4 address or an IPv6 address (without brackets)
 * @param port the port
 * @returns `127.0.0.1:8000`, `[::1]:8000` or `localhost:8000`
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
