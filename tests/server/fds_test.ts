import assert from "node:assert/strict";
import { MAIN } from "../_netlab.ts";

/** Sends one request on a kept-alive connection, reads the whole answer, returns its status line. */
async function ask(conn: Deno.TcpConn, path = "/page.html"): Promise<string> {
  return (await askHead(conn, path)).split("\r\n")[0]!;
}

/** Sends one request on a kept-alive connection, reads the whole answer, returns its head. */
async function askHead(conn: Deno.TcpConn, path: string): Promise<string> {
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
  let got = new Uint8Array(0);
  const buf = new Uint8Array(64 * 1024);
  const text = () => new TextDecoder().decode(got);
  for (;;) {
    const head = text().indexOf("\r\n\r\n");
    if (head >= 0) {
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text())?.[1] ?? 0);
      if (got.length >= head + 4 + length) return text().slice(0, head);
    }
    const n = await conn.read(buf);
    if (n === null) return text();
    const next = new Uint8Array(got.length + n);
    next.set(got);
    next.set(buf.subarray(0, n), got.length);
    got = next;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const COMMANDS: [string, string[]][] = [
  ["serve", ["serve"]],
  ["pool, kernel dispatch", ["pool", "--workers", "1", "--dispatch", "kernel"]],
  ["pool, queue dispatch", ["pool", "--workers", "1", "--dispatch", "queue"]],
];

for (const [label, command] of COMMANDS) {
  Deno.test({
    name:
      `netlab ${label} out of descriptors logs it, keeps its connections and listens again (Linux: bash, ulimit)`,
    ignore: Deno.build.os !== "linux",
    async fn() {
      const args = ["run", "-A", "--unstable-net", MAIN, ...command, "--port", "0", "--quiet"];
      const child = new Deno.Command("bash", {
        args: ["-c", 'ulimit -n 128 && exec "$0" "$@"', Deno.execPath(), ...args],
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let log = "";
      const reading = (async () => {
        for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) log += text;
      })();
      let exited = false;
      const status = child.status.then((s) => {
        exited = true;
        return s;
      });
      const clients: Deno.TcpConn[] = [];
      await using _child = {
        async [Symbol.asyncDispose]() {
          for (const c of clients) c.close();
          if (!exited) child.kill("SIGTERM");
          await status;
          await reading;
        },
      };
      const until = async (re: RegExp) => {
        // bounded for a child slow to start on a busy machine, not to time it
        for (let i = 0; i < 6000 && !re.test(log) && !exited; i++) await delay(10);
        assert.match(log, re);
      };
      await until(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const port = Number(log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)![1]);

      using kept = await Deno.connect({ hostname: "127.0.0.1", port });
      assert.equal(await ask(kept), "HTTP/1.1 200 OK");

      // idle connections until accepting fails (each takes a descriptor, two in a pool's queue)
      for (
        let attempt = 0;
        attempt < 2000 && !/Cannot accept connections/.test(log) && clients.length < 400 && !exited;
        attempt++
      ) {
        try {
          clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch (err) {
          if (
            !(err instanceof Deno.errors.ConnectionRefused) &&
            !(err instanceof Deno.errors.ConnectionReset)
          ) throw err;
          await delay(10); // the listener is being reopened
        }
      }
      await until(/Cannot accept connections on 127\.0\.0\.1:\d+: Too many open files/);
      // a file not yet cached needs a descriptor: the answer says to come back, not that it
      // broke (queue dispatch's Deno.serve closes its listener, which may free one meanwhile)
      const busy = await askHead(kept, "/style.css");
      if (command.includes("queue")) assert.match(busy, /^HTTP\/1\.1 (200|503) /);
      else assert.match(busy, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      if (busy.includes(" 503 ")) assert.match(busy, /\r\nretry-after: 1\r\n/i);
      for (const c of clients.splice(0)) c.close();

      // what was accepted is still served, and new clients get in once descriptors are back
      assert.equal(await ask(kept), "HTTP/1.1 200 OK");
      let fresh: Response | undefined;
      for (let i = 0; i < 3000 && fresh === undefined && !exited; i++) {
        try {
          fresh = await fetch(`http://127.0.0.1:${port}/page.html`);
        } catch {
          await delay(10);
        }
      }
      assert.equal(fresh?.status, 200);
      await fresh?.body?.cancel();
      assert.equal(exited, false, `netlab exited:\n${log}`);
      assert.doesNotMatch(log, /died|Uncaught|error: /i);
    },
  });
}
