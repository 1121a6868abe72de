/**
 * A test CA and leaf certificates it signs, made by openssl in a temp dir: ECDSA P-256 or RSA,
 * for the names given, CA:FALSE and serverAuth as browsers and rustls want them.
 */

/** One leaf: its files and PEM text. */
export interface Leaf {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** The CA and a way to sign leaves; removed on dispose. */
export interface TestPki extends AsyncDisposable {
  dir: string;
  caFile: string;
  ca: string;
  /** Makes a leaf for `names` (DNS names or IP addresses). */
  leaf(names: string[], kind?: "ec" | "rsa"): Promise<Leaf>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const IP = /^[\d.]+$|:/;

/** Makes a fresh CA in a temp dir. */
export async function makePki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-pki-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=netlab test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  let serial = 0;
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
    async leaf(names, kind = "ec") {
      const n = ++serial;
      const san = names.map((name) => IP.test(name) ? `IP:${name}` : `DNS:${name}`).join(",");
      await Deno.writeTextFile(
        `${dir}/leaf${n}.ext`,
        `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      await openssl([
        "req",
        ...(kind === "ec" ? ec : ["-newkey", "rsa:2048"]),
        "-nodes",
        "-keyout",
        `leaf${n}.key`,
        "-out",
        `leaf${n}.csr`,
        "-subj",
        `/CN=${names[0]}`,
      ], dir);
      await openssl([
        "x509",
        "-req",
        "-in",
        `leaf${n}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        String(1000 + n),
        "-days",
        "2",
        "-extfile",
        `leaf${n}.ext`,
        "-out",
        `leaf${n}.pem`,
      ], dir);
      const certFile = `${dir}/leaf${n}.pem`;
      const keyFile = `${dir}/leaf${n}.key`;
      return {
        certFile,
        keyFile,
        cert: await Deno.readTextFile(certFile),
        key: await Deno.readTextFile(keyFile),
      };
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs a command to the end: exit code, stdout and stderr as text. */
export async function run(
  cmd: string,
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

/**
 * The TCP sockets this process has open now (descriptors whose socket is in /proc/net/tcp or
 * tcp6): a server's connections, without the pipes and socket pairs Deno keeps for child
 * processes it ran. With `port`, only those connected to that port, or with `side` "either" also
 * those on it (one test's clients or server, whatever other test files running in the same
 * process hold).
 */
export function openTcpSockets(port?: number, side: "remote" | "either" = "remote"): number {
  const inodes = new Set<string>();
  // an address column ends in the port, 4 hex digits
  const tail = port === undefined ? null : `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const mine = (cols: string[]) =>
    tail === null || cols[2]?.endsWith(tail) || (side === "either" && cols[1]?.endsWith(tail));
  for (const file of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const inode = cols[9];
      if (!mine(cols)) continue;
      if (inode !== undefined && inode !== "0") inodes.add(inode);
    }
  }
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${e.name}`));
      if (m && inodes.has(m[1]!)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
