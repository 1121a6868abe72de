import assert from "node:assert/strict";
import { spawnNetlab } from "./_spawn.ts";

const SIZE = 64 * 1024 * 1024; // more than loopback's socket buffers hold

/** A root with a large (sparse) file. */
async function bigRoot(): Promise<string> {
  const root = await Deno.makeTempDir();
  using file = await Deno.create(`${root}/big.bin`);
  await file.truncate(SIZE);
  return root;
}

/** Asks for big.bin on a raw connection and reads `take` bytes of the answer; the caller closes. */
async function startDownload(url: string, take: number): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
  const buf = new Uint8Array(64 * 1024);
  for (let got = 0; got < take;) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("closed early");
    got += n;
  }
  return conn;
}

/** The bytes of the access-log lines for `what` (e.g. "GET /big.bin"), waiting for `count`. */
async function loggedBytes(stderr: () => string, what: string, count: number): Promise<number[]> {
  const pattern = new RegExp(`${what} 200 (\\d+) `, "g");
  for (;;) {
    const found = [...stderr().matchAll(pattern)].map((m) => Number(m[1]));
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const engine of ["epoll", "deno"]) {
  Deno.test(`netlab serve (${engine}) logs the body bytes sent, not the length, for a download cut short`, async () => {
    const root = await bigRoot();
    try {
      await using server = await spawnNetlab(["serve", root, "--port", "0", "--engine", engine]);
      const conn = await startDownload(server.url, 1024 * 1024);
      conn.close(); // the client goes away after a megabyte
      const [cut] = await loggedBytes(server.stderr, "GET /big.bin", 1);
      assert.ok(cut! >= 1024 * 1024 && cut! < SIZE, `logged ${cut} of ${SIZE}`);
      // a whole download logs its whole length, a HEAD none of it
      const res = await fetch(`${server.url}big.bin`);
      assert.equal((await res.bytes()).length, SIZE);
      const head = await fetch(`${server.url}big.bin`, { method: "HEAD" });
      await head.body?.cancel();
      const [, whole] = await loggedBytes(server.stderr, "GET /big.bin", 2);
      assert.equal(whole, SIZE);
      assert.deepEqual(await loggedBytes(server.stderr, "HEAD /big.bin", 1), [0]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });

  Deno.test(`netlab serve (${engine}) stopped mid-download logs what had left, then exits 0`, async () => {
    const root = await bigRoot();
    try {
      await using server = await spawnNetlab(["serve", root, "--port", "0", "--engine", engine]);
      // a client that stops reading: the drain runs out of time (5 s) and cuts the download
      using _conn = await startDownload(server.url, 1024 * 1024);
      server.child.kill("SIGTERM");
      assert.equal((await server.status).code, 0);
      const [cut] = await loggedBytes(server.stderr, "GET /big.bin", 1);
      assert.ok(cut! >= 1024 * 1024 && cut! < SIZE, `logged ${cut} of ${SIZE}`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
