/**
 * The TLS soak's client, run as its own process so the server's descriptors and OpenSSL objects
 * are the only ones in the server's process: `count` connections to 127.0.0.1:`port`,
 * `concurrency` at a time, one kind per connection in a fixed mix of ten:
 *
 * - 4 `resumed`: GET /page.html on a connection that resumes the run's last session (netlab's
 *   OpenSSL client, as wrk does), the page read whole;
 * - 2 `full`: the same with a client that never resumes (a full ECDSA handshake each);
 * - 1 `abort`: a ClientHello sent, then the connection closed before the server's answer is read;
 * - 1 `garbage`: a plain HTTP request where a ClientHello belongs, then read until the server
 *   closes;
 * - 1 `reset`: a resumed handshake, GET of a 220 KB image, one record read, then closed with the
 *   rest unread, so the kernel sends a reset (RST) into the response;
 * - 1 `truncated`: the first 7 bytes of a ClientHello record, then a FIN.
 *
 * Prints one JSON line: how many of each kind ran, failed, and resumed.
 *
 * Usage: deno run -A tests/tls/_soak_client.ts PORT CA_FILE COUNT CONCURRENCY
 */
import { ASYNC_LOOP_OPTIONS, encodeSockAddr, EventLoop } from "../../lib/loop/mod.ts";
import { AsyncTlsSocket } from "../../lib/tls/async_socket.ts";
import { TlsClientContext } from "../../lib/tls/client.ts";

const KINDS = [
  "resumed",
  "resumed",
  "resumed",
  "resumed",
  "full",
  "full",
  "abort",
  "garbage",
  "reset",
  "truncated",
] as const;
type Kind = (typeof KINDS)[number];

/** What the client saw, by kind. */
export interface SoakReport {
  ran: Record<Kind, number>;
  failed: Record<Kind, number>;
  /** Connections of kind `resumed` or `reset` whose handshake resumed a session. */
  resumed: number;
  /** The first few failures, for the summary. */
  errors: string[];
}

const zero = (): Record<Kind, number> =>
  Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;

const enc = new TextEncoder();
const request = (path: string) =>
  enc.encode(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

/** Reads an AsyncTlsSocket to its end: the text. */
async function readAll(sock: AsyncTlsSocket): Promise<string> {
  const buf = new Uint8Array(16384);
  const dec = new TextDecoder();
  let text = "";
  for (let n; (n = await sock.read(buf)) !== null;) text += dec.decode(buf.subarray(0, n));
  return text;
}

/** Reads a plain connection until the peer closes or resets it: the byte count. */
async function drain(conn: Deno.Conn): Promise<number> {
  const buf = new Uint8Array(4096);
  let total = 0;
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return total;
    total += n;
  }
}

async function writeAll(sock: AsyncTlsSocket, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await sock.write(bytes.subarray(at));
}

/** One client's run. */
class Client {
  #loop = new EventLoop(ASYNC_LOOP_OPTIONS);
  #addr;
  #resuming: TlsClientContext;
  #fresh: TlsClientContext;
  report: SoakReport = { ran: zero(), failed: zero(), resumed: 0, errors: [] };

  constructor(readonly port: number, ca: string) {
    this.#addr = encodeSockAddr("127.0.0.1", port);
    this.#resuming = new TlsClientContext({ caCerts: [ca] });
    this.#fresh = new TlsClientContext({ caCerts: [ca], resume: false });
  }

  async one(kind: Kind): Promise<void> {
    this.report.ran[kind]++;
    try {
      await this.#run(kind);
    } catch (err) {
      this.report.failed[kind]++;
      if (this.report.errors.length < 5) this.report.errors.push(`${kind}: ${err}`);
    }
  }

  async #run(kind: Kind): Promise<void> {
    if (kind === "garbage" || kind === "truncated") return await this.#plain(kind);
    const ctx = kind === "full" ? this.#fresh : this.#resuming;
    const sock = await AsyncTlsSocket.connect(this.#loop, ctx, this.#addr, "localhost");
    try {
      if (kind === "abort") {
        // the first flight goes out at once; the close comes before the server's answer is read
        const handshake = sock.handshake();
        sock.close();
        await handshake.catch(() => {});
        return;
      }
      await sock.handshake();
      if (sock.resumed) this.report.resumed++;
      if (kind === "reset") {
        await writeAll(sock, request("/research_center.jpg"));
        if ((await sock.read(new Uint8Array(16384))) === null) throw new Error("no response");
        return; // closed below with most of the image unread: a reset
      }
      await writeAll(sock, request("/page.html"));
      const text = await readAll(sock);
      if (!text.startsWith("HTTP/1.1 200 ") || !text.trimEnd().endsWith("</html>")) {
        throw new Error(`unexpected response: ${JSON.stringify(text.slice(0, 40))}`);
      }
    } finally {
      try {
        sock.close();
      } catch { /* closed above */ }
    }
  }

  async #plain(kind: "garbage" | "truncated"): Promise<void> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
    try {
      if (kind === "garbage") {
        await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        await drain(conn); // the server closes it
      } else {
        await conn.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
      }
    } finally {
      conn.close();
    }
  }

  async close(): Promise<void> {
    this.#resuming.close();
    this.#fresh.close();
    await this.#loop.stop();
  }
}

if (import.meta.main) {
  const [port, caFile, count, concurrency] = Deno.args;
  const client = new Client(Number(port), await Deno.readTextFile(caFile!));
  const total = Number(count);
  let next = 0;
  const worker = async () => {
    for (let i; (i = next++) < total;) await client.one(KINDS[i % KINDS.length]!);
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  await client.close();
  // deno-lint-ignore no-console
  console.log(JSON.stringify(client.report));
}
