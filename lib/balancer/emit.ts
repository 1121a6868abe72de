/**
 * `netlab balance --emit FORMAT`: the balancer's options as another balancer's configuration.
 *
 * @module
 */
import type { EmitOptions } from "./_emit.ts";
import { haproxyConfig } from "./haproxy.ts";
import { nginxConfig } from "./nginx.ts";

/** The configurations `--emit` can print. */
export const EMIT_FORMATS = ["haproxy", "nginx"] as const;

/** One of {@linkcode EMIT_FORMATS}. */
export type EmitFormat = typeof EMIT_FORMATS[number];

const EMITTERS: Record<EmitFormat, (options: EmitOptions) => string> = {
  haproxy: haproxyConfig,
  nginx: nginxConfig,
};

/** Options no configuration can express, such as port 0 ("any free port"). */
export class EmitError extends Error {
  override name = "EmitError";
}

/**
 * Renders `options` as a configuration of `format`.
 *
 * @throws EmitError for a port of 0 (netlab picks a free port, a configuration file must name
 *   one), TLS given as PEM text without `tlsFiles` (a configuration names files), and what nginx
 *   cannot render (several certificates, PROXY v2)
 */
export function emitConfig(format: EmitFormat, options: EmitOptions): string {
  for (const [flag, port] of [["--port", options.port], ["--stats-port", options.statsPort]]) {
    if (port === 0) {
      throw new EmitError(`Cannot emit ${format} with ${flag} 0: a configuration must name a port`);
    }
  }
  const tls = options.tls !== undefined || options.backendTls !== undefined;
  if (tls && options.tlsFiles === undefined) {
    throw new EmitError(`Cannot emit ${format} with TLS from PEM text: give the files' paths`);
  }
  if (format === "nginx" && (options.tlsFiles?.identities?.length ?? 0) > 1) {
    throw new EmitError(
      "Cannot emit nginx with more than one --cert: nginx picks a certificate by server_name, " +
        "not by the names the certificates carry",
    );
  }
  if (format === "nginx" && options.sendProxy === "v2") {
    throw new EmitError("Cannot emit nginx with --send-proxy v2: nginx sends PROXY v1 only");
  }
  if (format === "nginx" && options.sendProxy && options.mode === "http") {
    throw new EmitError(
      "Cannot emit nginx with --mode http --send-proxy: nginx's http proxy sends no PROXY header",
    );
  }
  return EMITTERS[format](options);
}
