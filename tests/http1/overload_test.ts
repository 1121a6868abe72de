import assert from "node:assert/strict";
import { MAIN } from "../_netlab.ts";
import { splitReplies } from "./_wire.ts";
import { exchange } from "./_wire.ts";

/** `netlab serve` under `ulimit -n 256`, resolving once it listens. */
async function serveLimited(args: string[]) {
  const script = `ulimit -n 256 && exec "$0" run -A "$1" serve ${args.join(" ")}`;
  const child = new Deno.Command("sh", {
    args: ["-c", script, Deno.execPath(), MAIN],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const { promise: port, resolve, reject } = Promise.withResolvers<number>();
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += dec.decode(chunk, { stream: true });
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\/ \(engine (\w+)\)/.exec(text);
      if (m) {
        if (m[2] !== "epoll") reject(new Error(`ran the ${m[2]} engine: ${text}`));
        resolve(Number(m[1]));
      }
    }
    reject(new Error(`exited before listening: ${text}`));
  })();
  return {
    port: await port,
    child,
    stderr: () => text,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await pump;
    },
  };
}

Deno.test("netlab serve with ulimit -n 256 holds 400 idle connections and still answers", async () => {
  const started = performance.now();
  // the header timeout frees descriptors for the last request; at 1 s a busy machine opened the
  // idle connections slower than they timed out and never ran the server out of descriptors
  await using s = await serveLimited(["--port", "0", "--quiet", "--header-timeout", "3"]);
  const idle: Deno.Conn[] = [];
  try {
    // each sends half a head: a connection that sends nothing is not even accepted
    // (TCP_DEFER_ACCEPT), so these are the ones that take descriptors; 20 at a time
    const half = new TextEncoder().encode("GET /page.html HTTP/1.1\r\n");
    for (let i = 0; i < 400; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
        idle.push(conn);
        await conn.write(half);
      }));
    }
    const text = await exchange(
      s.port,
      "GET /page.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(splitReplies(text)[0]!.status, 200);
  } finally {
    for (const c of idle) c.close();
  }
  s.child.kill("SIGTERM");
  assert.equal((await s.child.status).code, 0, "it drained and exited normally");
  assert.match(
    s.stderr(),
    /Cannot accept connections on 127\.0\.0\.1:\d+: Too many open files \(os error 24\); \d+ refused/,
  );
  const warnings = s.stderr().match(/Cannot accept connections/g) ?? [];
  const seconds = Math.ceil((performance.now() - started) / 1000);
  assert.ok(warnings.length <= seconds + 1, `${warnings.length} lines in ${seconds} s`);
});
