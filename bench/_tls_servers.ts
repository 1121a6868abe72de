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
