/**
 * `netlab balance`'s TLS flags: `--cert`/`--key` (repeatable: the first pair is the default,
 * the others go by SNI name) to terminate clients' TLS, `--backend-tls` to speak TLS to the
 * backends, verified against the system's store plus `--cacert`, or not at all (`--insecure`).
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { TlsServerOptions } from "../tls/server.ts";
import type { TlsClientOptions } from "../tls/client.ts";
import { UsageError } from "../errors.ts";
import type { EmitTlsFiles } from "../balancer/_emit.ts";
import { readPem } from "./serve.ts";

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** The TLS flags as commander gives them. */
export interface BalanceTlsFlags {
  cert?: string[];
  key?: string[];
  backendTls?: boolean;
  cacert?: string;
  insecure?: boolean;
}

/** Adds the TLS flags to `cmd`. */
export function withTlsFlags<C extends Command>(cmd: C): C {
  cmd
    .option(
      "--cert <file>",
      "PEM certificate chain: clients speak TLS, terminated here (epoll engine); repeat " +
        "--cert/--key for more names (SNI)",
      collect,
    )
    .option("--key <file>", "PEM private key for --cert (one per --cert, in order)", collect)
    .option("--backend-tls", "speak TLS to the backends (epoll engine)")
    .option("--cacert <file>", "--backend-tls: trust the PEM certificate(s) in FILE too")
    .option("--insecure", "--backend-tls: do not verify the backends' certificates");
  return cmd;
}

/**
 * Checks the TLS flags and reads their files.
 *
 * @throws {UsageError} for flags that do not go together; `NetlabError` for a file that cannot
 *   be read
 */
export async function balanceTlsOptions(
  flags: BalanceTlsFlags,
): Promise<{ tls?: TlsServerOptions; backendTls?: TlsClientOptions }> {
  const certs = flags.cert ?? [];
  const keys = flags.key ?? [];
  if (certs.length !== keys.length) {
    throw new UsageError(
      certs.length === 0 || keys.length === 0
        ? "--cert and --key go together"
        : "Give one --key per --cert, in the same order",
    );
  }
  if (!flags.backendTls && (flags.cacert !== undefined || flags.insecure)) {
    throw new UsageError("--cacert and --insecure go with --backend-tls");
  }
  const out: { tls?: TlsServerOptions; backendTls?: TlsClientOptions } = {};
  if (certs.length > 0) {
    const identities = [];
    for (let i = 0; i < certs.length; i++) {
      identities.push({
        cert: await readPem("certificate", certs[i]!),
        key: await readPem("key", keys[i]!),
      });
    }
    out.tls = { identities };
  }
  if (flags.backendTls) {
    out.backendTls = {
      caCerts: flags.cacert !== undefined ? [await readPem("CA certificate", flags.cacert)] : [],
      insecure: flags.insecure ?? false,
    };
  }
  return out;
}

/** The TLS flags' files for `--emit`, as absolute paths (nginx reads relative ones from its prefix). */
export function emitTlsFiles(flags: BalanceTlsFlags): EmitTlsFiles {
  const abs = (path: string) => path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const keys = flags.key ?? [];
  return {
    ...(flags.cert?.length
      ? { identities: flags.cert.map((cert, i) => ({ cert: abs(cert), key: abs(keys[i]!) })) }
      : {}),
    ...(flags.backendTls
      ? {
        backend: {
          ...(flags.cacert !== undefined ? { cacert: abs(flags.cacert) } : {}),
          insecure: flags.insecure ?? false,
        },
      }
      : {}),
  };
}
