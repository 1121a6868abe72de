import assert from "node:assert/strict";
import { linux } from "./_fixtures.ts";

const here = (file: string) => new URL(file, import.meta.url).pathname;

Deno.test({
  name:
    "EventLoop: after 5,000 connections, half refused, its descriptors are back where they started (Linux)",
  ignore: !linux,
  async fn() {
    // its own process: the test runner shares one process between test files
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", here("./_churn.ts")],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
    const { before, after, finished } = JSON.parse(text);
    assert.equal(finished, 5000);
    assert.equal(after, before);
  },
});

/** Lines of a child's stdout, one at a time. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += dec.decode(chunk, { stream: true });
    let i;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
}

Deno.test({
  name:
    "TcpListener out of descriptors pauses accepting, reports with a count, and serves again once some are free (Linux)",
  ignore: !linux,
  async fn() {
    const child = new Deno.Command("sh", {
      args: ["-c", `ulimit -n 64 && exec "$0" run -A "$1"`, Deno.execPath(), here("./_emfile.ts")],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const clients: Deno.TcpConn[] = [];
    await using _cleanup = {
      async [Symbol.asyncDispose]() {
        for (const c of clients) c.close();
        child.kill("SIGTERM");
        await child.status;
      },
    };
    const out = lines(child.stdout);
    const port = Number((await out.next()).value);
    const enc = new TextEncoder();
    const buf = new Uint8Array(16);
    // more clients than the child has descriptors: the kernel completes every handshake, the
    // child accepts until EMFILE and then pauses
    for (let i = 0; i < 80; i++) {
      clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    const report = JSON.parse((await out.next()).value as string);
    assert.equal(report.errno, 24); // EMFILE
    assert.ok(report.count >= 1);
    // a client accepted before the limit is still served
    await clients[0]!.write(enc.encode("a"));
    assert.equal(await clients[0]!.read(buf), 1);
    // free descriptors: once its clients go, the child serves again (the first tries may still
    // meet a full table while it notices them going)
    for (const c of clients.splice(0)) c.close();
    let echoed = 0;
    for (let i = 0; i < 1000 && echoed !== 1; i++) {
      try {
        using conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(enc.encode("b"));
        echoed = (await conn.read(buf)) ?? 0;
      } catch {
        echoed = 0;
      }
      if (echoed !== 1) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(echoed, 1);
    assert.equal(buf[0], "b".charCodeAt(0));
    // still alive
    assert.equal(
      await Promise.race([child.status.then(() => "exited"), Promise.resolve("up")]),
      "up",
    );
  },
});

Deno.test({
  name:
    "EventLoop whose wake-up eventfd finds no descriptor throws one line and closes its epoll set (Linux)",
  ignore: !linux,
  async fn() {
    // its own process under a low limit: it fills every descriptor but one, which the epoll set
    // takes, so eventfd() fails with EMFILE; the epoll set must be given back, not leaked
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        `ulimit -n 64 && exec "$0" run -A "$1" 1`,
        Deno.execPath(),
        here("./_wake_emfile.ts"),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(out.code, 0);
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(got.error, "Cannot create the epoll wake-up (os error 24)");
    assert.equal(got.reopened, 1, "the descriptor the epoll set took is free again");
  },
});
