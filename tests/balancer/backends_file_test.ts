import assert from "node:assert/strict";
import { parseBackendsFile } from "../../lib/balancer/backends_file.ts";
import { BackendSpecError } from "../../lib/balancer/backend_spec.ts";
import { netlab, netlabCommand } from "../_netlab.ts";
import { dec, enc, httpBackend, httpBalancer } from "./_http.ts";
import { readAll, TestBackend, writeAll } from "./_helpers.ts";

Deno.test("parseBackendsFile() takes the --backend syntax per line, comments and blank lines", () => {
  const specs = parseBackendsFile(
    "# the lab\n127.0.0.1:9002-9003@2  # two\n\n  [::1]:9004\n",
    "f.txt",
  );
  assert.deepEqual(specs.map((s) => `${s.host}:${s.port}@${s.weight}`), [
    "127.0.0.1:9002@2",
    "127.0.0.1:9003@2",
    "::1:9004@1",
  ]);
  assert.throws(() => parseBackendsFile("127.0.0.1:1\nnope\n", "f.txt"), /^.*f\.txt line 2: /);
  assert.throws(() => parseBackendsFile("127.0.0.1:1\n127.0.0.1:1\n", "f"), /line 2: .*twice/);
  assert.throws(() => parseBackendsFile("# none\n", "f"), BackendSpecError);
});

Deno.test("netlab balance refuses a malformed --backends-file with one line naming it", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "127.0.0.1:9002\n127.0.0.1:99999\n");
    const r = await netlab(["balance", "--backends-file", file, "--port", "0"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${file} line 2: `));
    assert.equal(r.stderr.trim().split("\n").length, 2, r.stderr); // the line and the --help hint
  } finally {
    await Deno.remove(file);
  }
});

/** One request on a new connection; the body is the backend's name. */
async function ask(port: number): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, enc.encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const text = dec.decode(await readAll(conn));
  return text.slice(text.indexOf("\r\n\r\n") + 4);
}

/** A request on a kept-alive connection; the body (a name, Content-Length framed). */
async function askOn(conn: Deno.TcpConn): Promise<string> {
  await writeAll(conn, enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const buf = new Uint8Array(4096);
  let text = "";
  while (!/\r\n\r\n[abc]$/.test(text)) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed after ${JSON.stringify(text)}`);
    text += dec.decode(buf.subarray(0, n));
  }
  return text.slice(-1);
}

const CASES = [["tcp", "epoll"], ["tcp", "deno"], ["http", "epoll"]] as const;

for (const [mode, engine] of CASES) {
  Deno.test(
    `netlab balance --backends-file re-reads on SIGHUP without dropping a connection (${mode}, ${engine})`,
    async () => {
      await using a = httpBackend("a");
      await using b = httpBackend("b");
      await using c = httpBackend("c");
      const file = await Deno.makeTempFile();
      const line = (...bs: { port: number }[]) => bs.map((x) => `127.0.0.1:${x.port}\n`).join("");
      await Deno.writeTextFile(file, `# first\n${line(a, b)}`);
      const child = netlabCommand({
        args: [
          "balance",
          "--backends-file",
          file,
          "--port",
          "0",
          "--mode",
          mode,
          "--engine",
          engine,
          "--health-interval",
          "0",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      let err = "";
      const waiters: [RegExp, number, () => void][] = [];
      const pump = (async () => {
        for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
          err += chunk;
          for (const w of [...waiters]) {
            if ((err.match(new RegExp(w[0], "g")) ?? []).length >= w[1]) {
              waiters.splice(waiters.indexOf(w), 1);
              w[2]();
            }
          }
        }
      })();
      const until = (re: RegExp, count = 1) =>
        new Promise<void>((resolve) => {
          waiters.push([re, count, resolve]);
          if ((err.match(new RegExp(re, "g")) ?? []).length >= count) resolve();
        });
      try {
        await until(/listening on 127\.0\.0\.1:\d+/);
        const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
        // a connection opened before the reload, to a backend that the reload removes or keeps
        using kept = await Deno.connect({ hostname: "127.0.0.1", port });
        const first = await askOn(kept);
        const before = [await ask(port), await ask(port), await ask(port), await ask(port)];
        assert.equal(first, "a");
        assert.deepEqual(before.sort().join(""), "aabb");
        await Deno.writeTextFile(file, line(b, c));
        child.kill("SIGHUP");
        await until(/reloaded /);
        const counts = { a: a.requests, b: b.requests, c: c.requests };
        const after = [await ask(port), await ask(port), await ask(port), await ask(port)];
        assert.deepEqual(after.sort().join(""), "bbcc", err);
        assert.equal(a.requests, counts.a, "a removed backend gets no new request");
        // the connection opened before still works: tcp keeps its backend, http spreads again
        const next = await askOn(kept);
        if (mode === "tcp") assert.equal(next, first);
        else assert.ok(["b", "c"].includes(next), next);
        // a malformed file is refused with one line naming it, and the running set kept
        await Deno.writeTextFile(file, `${line(c)}127.0.0.1:0\n`);
        child.kill("SIGHUP");
        await until(/line 2: .*keeping the 2 running backends/);
        const kept2 = [await ask(port), await ask(port)];
        assert.deepEqual(kept2.sort().join(""), "bc", err);
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await pump;
        await Deno.remove(file);
      }
    },
  );
}

Deno.test("Balancer.setBackends() closes a removed backend's idle pooled connections at once (http)", async () => {
  const closed = Promise.withResolvers<void>();
  // a keep-alive backend that says when its connection ends
  await using a = new TestBackend("a", async (conn) => {
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      await writeAll(conn, enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"));
    }
    closed.resolve();
  }).start();
  await using b = httpBackend("b");
  await using lb = await httpBalancer([a.port]);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
  assert.equal(await askOn(conn), "a");
  const change = lb.setBackends([{ host: "127.0.0.1", port: b.port, weight: 1 }]);
  assert.deepEqual(change, { added: [`127.0.0.1:${b.port}`], removed: [`127.0.0.1:${a.port}`] });
  await closed.promise; // the idle pooled connection went with the backend
  assert.equal(await askOn(conn), "b");
  assert.equal(a.accepted, 1);
  assert.throws(() => lb.setBackends([]), TypeError);
  assert.throws(() => lb.setBackends([{ host: "localhost", port: 1, weight: 1 }]), /IP addresses/);
  assert.equal(lb.backends.length, 1);
});
