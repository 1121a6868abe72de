/**
 * The HTTPS anchors of `deno task perf tls`: one ECDSA P-256 certificate (CA:FALSE, made by
 * openssl for the run), and h2o (one thread, `user: root` so it does not drop to nobody) serving
 * www/ with it as netlab does; nginx is `startNginx` with the same certificate.
 *
 * @module
 */
import { type Child, ensureCommands, startProcess } from "./_tools.ts";

/** The run's certificate, in a temp dir removed on dispose. */
export interface BenchCert extends AsyncDisposable {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** Makes a self-signed ECDSA P-256 certificate for 127.0.0.1 and localhost. */
export async function benchCert(): Promise<BenchCert> {
  await ensureCommands({ openssl: "openssl" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-perf-tls-" });
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  return {
    dir,
    certFile: `${dir}/cert.pem`,
    keyFile: `${dir}/key.pem`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** h2o, one thread, HTTPS on 127.0.0.1:port with `cert`, access log off. */
export async function startH2oTls(root: string, port: number, cert: BenchCert): Promise<Child> {
  await ensureCommands({ h2o: "h2o" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-h2o-tls-" });
  await Deno.writeTextFile(
    `${dir}/h2o.conf`,
    `user: root
num-threads: 1
pid-file: ${dir}/h2o.pid
error-log: ${dir}/error.log
listen:
  host: 127.0.0.1
  port: ${port}
  ssl:
    certificate-file: ${cert.certFile}
    key-file: ${cert.keyFile}
hosts:
  default:
    paths:
      /:
        file.dir: ${root}
`,
  );
  return startProcess("h2o", ["-c", `${dir}/h2o.conf`], port);
}

/**
 * What a server on 127.0.0.1:`port` negotiates with OpenSSL's client: `TLSv1.3,
 * TLS_AES_256_GCM_SHA384`, or why not. The section compares only servers that agree: a resumed
 * TLS 1.2 session costs a third of a resumed TLS 1.3 one, which makes a new key exchange.
 */
export async function negotiated(port: number): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-brief", "-connect", `127.0.0.1:${port}`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  const protocol = /^Protocol version: (\S+)/m.exec(text)?.[1];
  const cipher = /^Ciphersuite: (\S+)/m.exec(text)?.[1];
  return protocol && cipher ? `${protocol}, ${cipher}` : `no handshake (${text.trim()})`;
}
