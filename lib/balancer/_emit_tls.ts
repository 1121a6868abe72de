/**
 * `--emit` with TLS: `--cert`/`--key` and `--backend-tls` as HAProxy's and nginx's directives.
 * A configuration names files, so these work from the files' paths (`EmitTlsFiles`), not the
 * PEM text the balancer itself runs with.
 *
 * Where the tools cannot do what netlab does, the output says so in a comment:
 *
 * - HAProxy (2.2 and later) reads a certificate's key from the certificate's own file or from the
 *   file beside it with `.key` added (or, with `ssl-load-extra-del-ext`, in place of a `.crt`
 *   extension); a key elsewhere needs a link there, which the comment above `bind` names.
 * - netlab checks a backend's certificate against the backend's IP address. HAProxy checks the
 *   chain and no name (no `sni`, no `verifyhost`); nginx checks one DNS name for every backend
 *   (`proxy_ssl_name`, the first backend's address until it is replaced by a name the
 *   certificates carry), and trusts one CA file, the system's bundle unless `--cacert` names
 *   another.
 * - nginx (open source, stream or http) picks a certificate by `server_name`, not by the names in
 *   the certificates: one `--cert` only.
 *
 * @module
 */
import type { BackendSpec } from "./backend_spec.ts";
import { type EmitTlsFiles, ms } from "./_emit.ts";

/** Where Debian and Ubuntu keep the system's CA bundle (nginx has no default). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** A path as both tools read it: quoted when it holds a space or a character they parse. */
export function confPath(path: string): string {
  return /[\s;#"'{}\\$]/.test(path) ? JSON.stringify(path) : path;
}

/** What HAProxy's configuration gains from TLS. */
export interface HaproxyTls {
  /** Lines for `global`. */
  global: string[];
  /** Comment lines above `bind`. */
  notes: string[];
  /** Appended to the `bind` line: ` ssl crt ... alpn http/1.1` (or ""). */
  bind: string;
  /** Appended to each `server` line: ` ssl verify ...` (or ""). */
  server: string;
  /** Comment lines above the servers. */
  serverNotes: string[];
}

/** `site.crt` -> `site.key`, HAProxy's name for its key with `ssl-load-extra-del-ext` (only for
 * a `.crt`), else null. */
const crtKey = (cert: string) => cert.endsWith(".crt") ? `${cert.slice(0, -4)}.key` : null;

/** `--cert`/`--key` and `--backend-tls` for HAProxy 2.2 and later. */
export function haproxyTls(files: EmitTlsFiles | undefined): HaproxyTls {
  const out: HaproxyTls = { global: [], notes: [], bind: "", server: "", serverNotes: [] };
  const ids = files?.identities ?? [];
  if (ids.length > 0) {
    // HAProxy finds a key beside its certificate: CERT.key, or with ssl-load-extra-del-ext the
    // extension replaced (site.crt, site.key); one rule for every certificate
    const appended = ids.some((i) => i.key === `${i.cert}.key`);
    const replaced = !appended && ids.some((i) => i.key === crtKey(i.cert));
    if (replaced) out.global.push("  ssl-load-extra-del-ext");
    const found = (i: { cert: string; key: string }) =>
      i.key === i.cert || i.key === (replaced ? crtKey(i.cert) : `${i.cert}.key`);
    for (const i of ids.filter((i) => !found(i))) {
      const beside = (replaced ? crtKey(i.cert) : null) ?? `${i.cert}.key`;
      out.notes.push(
        `  # HAProxy reads the key of ${i.cert} from that file or from ${beside}:`,
        `  #   ln -s ${i.key} ${beside}`,
      );
    }
    const crts = ids.map((i) => ` crt ${confPath(i.cert)}`).join("");
    out.bind = ` ssl${crts} ssl-min-ver TLSv1.2 alpn http/1.1`;
  }
  const be = files?.backend;
  if (be !== undefined) {
    if (be.insecure) out.server = " ssl verify none alpn http/1.1";
    else {
      const ca = be.cacert !== undefined ? confPath(be.cacert) : "@system-ca";
      out.server = ` ssl verify required ca-file ${ca} alpn http/1.1`;
      out.serverNotes.push(
        "  # the backends' certificates are checked against the CA, not against a name (netlab",
        "  # checks each backend's IP address): add verifyhost NAME to check one",
      );
    }
  }
  return out;
}

/** What nginx's configuration gains from TLS. */
export interface NginxTls {
  /** Appended to `listen`: ` ssl` (or ""). */
  listen: string;
  /** Lines for the `server` block (certificate, protocols). */
  server: string[];
  /** Lines where the proxying is configured (`proxy_ssl...`). */
  proxy: string[];
  /** `https` toward the backends, else `http` (the http mode's `proxy_pass` scheme). */
  scheme: "http" | "https";
}

/**
 * `--cert`/`--key` and `--backend-tls` for nginx: `indent` is the directives' indentation,
 * `handshakeMs` the stream module's handshake timeout (the http module has none: its
 * `client_header_timeout` covers the handshake).
 */
export function nginxTls(
  files: EmitTlsFiles | undefined,
  backends: readonly BackendSpec[],
  indent: string,
  handshakeMs?: number,
): NginxTls {
  const out: NginxTls = { listen: "", server: [], proxy: [], scheme: "http" };
  const id = files?.identities?.[0];
  if (id !== undefined) {
    out.listen = " ssl";
    out.server.push(
      `ssl_certificate ${confPath(id.cert)};`,
      `ssl_certificate_key ${confPath(id.key)};`,
      "ssl_protocols TLSv1.2 TLSv1.3;",
      ...(handshakeMs !== undefined
        ? ["ssl_alpn http/1.1;", `ssl_handshake_timeout ${ms(handshakeMs)};`]
        : []),
    );
  }
  const be = files?.backend;
  if (be !== undefined) {
    out.scheme = "https";
    out.proxy.push(
      ...(handshakeMs !== undefined ? ["proxy_ssl on;"] : []),
      "proxy_ssl_protocols TLSv1.2 TLSv1.3;",
      "proxy_ssl_session_reuse on;",
    );
    if (be.insecure) out.proxy.push("proxy_ssl_verify off;");
    else {
      out.proxy.push(
        "proxy_ssl_verify on;",
        ...(be.cacert === undefined ? ["# the system's CAs (Debian's and Ubuntu's bundle)"] : []),
        `proxy_ssl_trusted_certificate ${confPath(be.cacert ?? SYSTEM_CA_BUNDLE)};`,
        "# nginx checks one DNS name for every backend where netlab checks each backend's IP",
        "# address: put a name the backends' certificates carry here",
        `proxy_ssl_name ${backends[0]?.host ?? "localhost"};`,
      );
    }
  }
  out.server = out.server.map((l) => indent + l);
  out.proxy = out.proxy.map((l) => indent + l);
  return out;
}
