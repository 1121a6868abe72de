/**
 * Exact counts when connections go wrong under the raw engine: a keep-alive server that resets the
 * connection after every response (python3, which can set SO_LINGER 0 to send a RST), and the read
 * buffer that must not cost 64 KiB per client up front.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bench } from "../../lib/bench/run.ts";
import { rawEngine } from "../../lib/bench/engines/raw.ts";
import { normalizeOptions } from "../../lib/bench/options.ts";
import { needs } from "../_tools.ts";

/** Answers one request per connection with "Connection: keep-alive", then resets it (RST). */
const RESET_SERVER = `
import socket, struct, sys, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(128)
print(srv.getsockname()[1], flush=True)
resp = b"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\nContent-Length: 6\\r\\n\\r\\nhello\\n"
def serve(c):
    data = b""
    while b"\\r\\n\\r\\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            c.close()
            return
        data += chunk
    c.sendall(resp)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
def accept():
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
`;
const RESPONSE_BYTES = 68;

async function resetServer(): Promise<{ url: string } & AsyncDisposable> {
  const child = new Deno.Command("python3", {
    args: ["-c", RESET_SERVER],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("python3 reset server exited before printing its port");
    text += value;
  }
  return {
    url: `http://127.0.0.1:${text.trim()}/`,
    async [Symbol.asyncDispose]() {
      await child.stdin.close(); // sys.stdin.read() returns: the server exits
      await reader.cancel();
      await child.status;
    },
  };
}

Deno.test(
  ...needs(
    ["python3"],
    "bench() [raw] retries a reused connection reset after each response and counts each response once",
  ),
  async () => {
    await using server = await resetServer();
    for (const concurrency of [1, 4]) {
      const r = await bench({
        url: server.url,
        requests: 50,
        concurrency,
        keepAlive: true,
        engine: "raw",
      });
      assert.equal(r.failed, 0, JSON.stringify(r.errors));
      assert.equal(r.complete, 50);
      assert.equal(r.totalTransferred, 50 * RESPONSE_BYTES);
      assert.equal(r.htmlTransferred, 50 * 6);
      assert.equal(r.keepAliveRequests, 50);
    }
  },
);

Deno.test("bench() [raw] with 1000 clients allocates small read buffers", async () => {
  // Run in a child so the heap measured is this bench's alone; nothing listens on the port, so
  // every client makes its buffer and fails to connect.
  const code = `
    import { bench } from ${
    JSON.stringify(new URL("../../lib/bench/run.ts", import.meta.url).href)
  };
    const { deadPort } = await import(${
    JSON.stringify(new URL("../_ports.ts", import.meta.url).href)
  });
    const port = deadPort();
    const before = Deno.memoryUsage().external + Deno.memoryUsage().heapUsed;
    let peak = before;
    const timer = setInterval(() => {
      const m = Deno.memoryUsage();
      peak = Math.max(peak, m.external + m.heapUsed);
    }, 1);
    const r = await bench({ url: "http://127.0.0.1:" + port + "/", requests: 1000, concurrency: 1000, engine: "raw" });
    clearInterval(timer);
    const m = Deno.memoryUsage();
    peak = Math.max(peak, m.external + m.heapUsed);
    console.log(JSON.stringify({ failed: r.failed, grown: peak - before }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-net", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const { failed, grown } = JSON.parse(text);
  assert.equal(failed, 1000);
  // 64 KiB per client would be 64 MB; 8 KiB buffers make 8 MB.
  assert.ok(grown < 40 * 1024 * 1024, `grew by ${grown} bytes`);
});

Deno.test({
  name: "rawEngine() runs on epoll sockets on Linux with FFI, not quietly on Deno's",
  ignore: Deno.build.os !== "linux",
  fn() {
    const o = normalizeOptions({ url: "http://127.0.0.1:9/", engine: "raw" });
    const engine = rawEngine(o.spec);
    try {
      assert.equal(engine.traits.fairTurns, true);
    } finally {
      engine.close();
    }
    const named = rawEngine(normalizeOptions({ url: "http://localhost:9/", engine: "raw" }).spec);
    assert.notEqual(named.traits.fairTurns, true, "host names go through Deno.connect");
    named.close();
  },
});

Deno.test(
  ...needs(
    ["python3"],
    "bench() [raw] without FFI runs on Deno.connect and still retries a reset connection",
  ),
  async () => {
    await using server = await resetServer();
    const run = new URL("../../lib/bench/run.ts", import.meta.url).href;
    const code = `
      import { bench } from ${JSON.stringify(run)};
      const r = await bench({ url: ${
      JSON.stringify(server.url)
    }, requests: 50, concurrency: 4, keepAlive: true, engine: "raw" });
      console.log(JSON.stringify({ complete: r.complete, failed: r.failed, bytes: r.totalTransferred }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--unstable-net", "--allow-net", "--allow-read", "--deny-ffi", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      complete: 50,
      failed: 0,
      bytes: 50 * RESPONSE_BYTES,
    });
  },
);
