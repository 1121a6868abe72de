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

/** Renders `options` as a configuration of `format`. */
export function emitConfig(format: EmitFormat, options: EmitOptions): string {
  return EMITTERS[format](options);
}
