/**
 * Large files for the sendfile tests, and a binary-safe client that reads one response at a time
 * off a kept-alive connection, as fast or as slowly as a test wants.
 *
 * @module
 */

/** 16 MiB: more than loopback's socket buffers hold for a reader that does not read. */
export const LARGE = 16 * 1024 * 1024;

/** A temporary root with `large.bin` (LARGE random bytes) and a small `small.txt`. */
export interface LargeSite extends AsyncDisposable {
  root: string;
  large: Uint8Array;
}

/** Random bytes: a body sent from the wrong offset cannot match by accident. */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

/** Makes a {@link LargeSite}. */
export async function largeSite(): Promise<LargeSite> {
  const root = await Deno.makeTempDir({ prefix: "netlab-sendfile-" });
  const large = randomBytes(LARGE);
  await Deno.writeFile(`${root}/large.bin`, large);
  await Deno.writeTextFile(`${root}/small.txt`, "small\n");
  return {
    root,
    large,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** One response head. */
export interface Head {
  status: number;
  headers: Headers;
}

/** Reads responses off one connection; bytes past a head or body are kept for the next read. */
export class Client implements Disposable {
  readonly conn: Deno.TcpConn;
  #held = new Uint8Array(0);
  #buf = new Uint8Array(64 * 1024);

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<Client> {
    return new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends a request (a string, written whole). */
  async send(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Reads more into the held bytes; false at the end of the stream (or a reset). */
  async #more(max = this.#buf.length): Promise<boolean> {
    const n = await this.conn.read(this.#buf.subarray(0, max)).catch(() => null);
    if (n === null) return false;
    const joined = new Uint8Array(this.#held.length + n);
    joined.set(this.#held);
    joined.set(this.#buf.subarray(0, n), this.#held.length);
    this.#held = joined;
    return true;
  }

  /** Reads one response head. */
  async head(): Promise<Head> {
    while (true) {
      const end = findHeadEnd(this.#held);
      if (end >= 0) {
        const text = new TextDecoder("latin1").decode(this.#held.subarray(0, end));
        this.#held = this.#held.slice(end + 4);
        const [line, ...fields] = text.split("\r\n");
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(line!);
        if (!m) throw new Error(`Bad status line: ${JSON.stringify(line)}`);
        const headers = new Headers();
        for (const f of fields) {
          const colon = f.indexOf(": ");
          headers.append(f.slice(0, colon), f.slice(colon + 2));
        }
        return { status: Number(m[1]), headers };
      }
      if (!(await this.#more())) throw new Error("The connection closed before a response head");
    }
  }

  /**
   * Reads up to `n` body bytes; fewer only when the connection ends first. `slow` reads at most
   * 16 KiB at a time and yields to timers between reads.
   */
  async body(n: number, slow = false): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = Math.min(n, this.#held.length);
    out.set(this.#held.subarray(0, got));
    this.#held = this.#held.slice(got);
    while (got < n) {
      if (slow) await new Promise((r) => setTimeout(r, 1));
      const max = Math.min(slow ? 16 * 1024 : this.#buf.length, this.#buf.length);
      const read = await this.conn.read(this.#buf.subarray(0, max)).catch(() => null);
      if (read === null) break;
      const take = Math.min(read, n - got);
      out.set(this.#buf.subarray(0, take), got);
      got += take;
      if (take < read) this.#held = this.#buf.slice(take, read);
    }
    return out.subarray(0, got);
  }

  /** Reads until the server closes; how many bytes came. */
  async drain(): Promise<number> {
    let n = this.#held.length;
    this.#held = new Uint8Array(0);
    while (true) {
      const got = await this.conn.read(this.#buf).catch(() => null);
      if (got === null) return n;
      n += got;
    }
  }

  [Symbol.dispose](): void {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
  }
}

function findHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/** Polls `check` until it holds; fails after `guardMs` (a stuck server, not a slow one). */
export async function until(check: () => boolean, what: string, guardMs = 30_000): Promise<void> {
  const end = Date.now() + guardMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Still waiting after ${guardMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
