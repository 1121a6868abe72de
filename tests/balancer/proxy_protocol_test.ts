import assert from "node:assert/strict";
import {
  encodeProxyHeader,
  parseProxyHeader,
  PROXY_INCOMPLETE,
  type ProxyHeader,
  type ProxyVersion,
} from "../../lib/balancer/proxy_protocol.ts";
import type { BalanceMode } from "../../lib/balancer/options.ts";
import { emitConfig, EmitError } from "../../lib/balancer/emit.ts";
import { startBalancer } from "../../lib/balancer/balancer.ts";
import { needs } from "../_tools.ts";
import { collectLogs, readAll, TestBackend, writeAll } from "./_helpers.ts";
import { dec, enc, httpBackend } from "./_http.ts";

const addr = (hostname: string, port: number): Deno.NetAddr => ({
  transport: "tcp",
  hostname,
  port,
});

Deno.test("parseProxyHeader() reads back what encodeProxyHeader() writes, v1 and v2", () => {
  const pairs = [
    [addr("192.0.2.7", 56324), addr("127.0.0.1", 443)],
    [addr("2001:db8::1", 1), addr("::1", 65535)],
  ];
  for (const version of ["v1", "v2"] as ProxyVersion[]) {
    for (const [src, dst] of pairs) {
      const bytes = encodeProxyHeader(version, src!, dst!);
      const r = parseProxyHeader(new Uint8Array([...bytes, 71, 69, 84])) as ProxyHeader;
      assert.equal(r.length, bytes.length, version);
      assert.deepEqual([r.source, r.destination], [src, dst], version);
      // every shorter prefix asks for more, never decides wrongly
      for (let n = 0; n < bytes.length; n++) {
        assert.equal(parseProxyHeader(bytes.subarray(0, n)), PROXY_INCOMPLETE, `${version} ${n}`);
      }
    }
  }
  assert.equal(
    dec.decode(encodeProxyHeader("v1", addr("192.0.2.7", 5), addr("127.0.0.1", 80))),
    "PROXY TCP4 192.0.2.7 127.0.0.1 5 80\r\n",
  );
});

Deno.test("parseProxyHeader() refuses every malformed header", () => {
  for (
    const line of [
      "GET / HTTP/1.1\r\n",
      "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
      "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
      "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
      `PROXY UNKNOWN ${"x".repeat(100)}\r\n`,
    ]
  ) assert.equal(typeof parseProxyHeader(enc.encode(line)), "string", line);
  const v2 = encodeProxyHeader("v2", addr("1.2.3.4", 1), addr("5.6.7.8", 2));
  const bad = (f: (b: Uint8Array) => void) => {
    const b = v2.slice();
    f(b);
    return parseProxyHeader(b);
  };
  assert.equal(typeof bad((b) => b[12] = 0x11), "string", "version 1 in a v2 signature");
  assert.equal(typeof bad((b) => b[12] = 0x22), "string", "command 2");
  assert.equal(typeof bad((b) => b[15] = 4), "string", "too few address bytes");
  assert.equal(typeof bad((b) => b[14] = 0xff), "string", "too long");
  // LOCAL and UNKNOWN carry no address: the socket's is used
  assert.deepEqual(bad((b) => b[12] = 0x20), { length: v2.length });
  assert.deepEqual(parseProxyHeader(enc.encode("PROXY UNKNOWN\r\n")), { length: 15 });
});

/** A free port on 127.0.0.1 (for a config file that must name one). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

async function untilListening(port: number): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

/** One request through `port`; returns the body, and the client's own port. */
async function askHttp(port: number, head = ""): Promise<[string, number]> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, enc.encode(`${head}GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  const text = dec.decode(await readAll(conn));
  return [text.slice(text.indexOf("\r\n\r\n") + 4), conn.localAddr.port];
}

for (const mode of ["tcp", "http"] as BalanceMode[]) {
  Deno.test(
    ...needs(
      ["haproxy"],
      `Balancer --accept-proxy and --send-proxy carry the client between HAProxy peers (${mode})`,
    ),
    async () => {
      const [front, echo] = [freePort(), freePort()];
      for (const [incoming, outgoing] of [["v1", "v2"], ["v2", "v1"]] as const) {
        await using lb = await startBalancer({
          backends: [{ host: "127.0.0.1", port: echo, weight: 1 }],
          port: 0,
          mode,
          healthIntervalMs: 0,
          acceptProxy: true,
          sendProxy: outgoing,
          engine: "epoll",
        });
        const send = incoming === "v1" ? "send-proxy" : "send-proxy-v2";
        const config = [
          "defaults",
          "  timeout connect 5s",
          "  timeout client 10s",
          "  timeout server 10s",
          "frontend front",
          "  mode tcp",
          `  bind 127.0.0.1:${front}`,
          "  default_backend netlab",
          "backend netlab",
          "  mode tcp",
          `  server n 127.0.0.1:${lb.addr.port} ${send}`,
          "frontend echo",
          "  mode http",
          `  bind 127.0.0.1:${echo} accept-proxy`,
          '  http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"',
          "",
        ].join("\n");
        const dir = await Deno.makeTempDir({ prefix: "netlab-proxy-" });
        await Deno.writeTextFile(`${dir}/h.cfg`, config);
        const child = new Deno.Command("haproxy", {
          args: ["-f", `${dir}/h.cfg`, "-db"],
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          await untilListening(front);
          await untilListening(echo);
          for (let i = 0; i < 3; i++) {
            const [body, port] = await askHttp(front);
            assert.equal(body, `127.0.0.1:${port}`, `${mode} ${incoming} in, ${outgoing} out`);
          }
        } finally {
          child.kill();
          await child.status;
          await Deno.remove(dir, { recursive: true });
        }
      }
    },
  );
}

Deno.test("Balancer --accept-proxy forwards the header's client in X-Forwarded-For (http)", async () => {
  await using b = httpBackend("b", (req) => new Response(req.headers.get("x-forwarded-for")));
  await using logs = await collectLogs();
  await using lb = await startBalancer({
    backends: [{ host: "127.0.0.1", port: b.port, weight: 1 }],
    port: 0,
    mode: "http",
    healthIntervalMs: 0,
    acceptProxy: true,
  });
  const [body] = await askHttp(lb.addr.port, "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n");
  assert.equal(body, "203.0.113.7");
  const v2 = encodeProxyHeader("v2", addr("2001:db8::7", 6), addr("::1", 80));
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
  await writeAll(conn, new Uint8Array([...v2, ...enc.encode(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`)]));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  assert.match(dec.decode(buf.subarray(0, n ?? 0)), /\r\n\r\n2001:db8::7$/);
  assert.ok(logs.lines.some((l) => l.includes("from 203.0.113.7:5555")), logs.lines.join("\n"));
});

for (const mode of ["tcp", "http"] as BalanceMode[]) {
  Deno.test(`Balancer --accept-proxy closes a connection without a valid header (${mode})`, async () => {
    await using b = httpBackend("b");
    await using logs = await collectLogs("warning");
    await using lb = await startBalancer({
      backends: [{ host: "127.0.0.1", port: b.port, weight: 1 }],
      port: 0,
      mode,
      healthIntervalMs: 0,
      acceptProxy: true,
      engine: "epoll",
    });
    // closed unread: a reset, or a FIN
    const refused = (head?: string) => askHttp(lb.addr.port, head).then(([b]) => b, () => "");
    assert.equal(await refused(), "");
    assert.equal(await refused("PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\n"), "");
    assert.equal(b.requests, 0);
    assert.equal(
      logs.lines.filter((l) => l.includes("(--accept-proxy)")).length,
      2,
      logs.lines.join("\n"),
    );
    const [ok] = await askHttp(lb.addr.port, "PROXY TCP4 1.2.3.4 5.6.7.8 1 80\r\n");
    assert.equal(ok, "b");
  });
}

Deno.test("Balancer --send-proxy in http mode gives each client its own backend connections", async () => {
  const seen: string[] = [];
  // a keep-alive HTTP backend that records the PROXY line each connection starts with
  await using backend = new TestBackend("pp", async (conn) => {
    const buf = new Uint8Array(8192);
    let text = "";
    let line: string | undefined;
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      text += dec.decode(buf.subarray(0, n));
      if (line === undefined && text.includes("\r\n")) {
        line = text.slice(0, text.indexOf("\r\n"));
        seen.push(line);
        text = text.slice(line.length + 2);
      }
      while (text.includes("\r\n\r\n")) {
        text = text.slice(text.indexOf("\r\n\r\n") + 4);
        await writeAll(
          conn,
          enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${line!.length}\r\n\r\n${line}`),
        );
      }
    }
  }).start();
  await using lb = await startBalancer({
    backends: [{ host: "127.0.0.1", port: backend.port, weight: 1 }],
    port: 0,
    mode: "http",
    healthIntervalMs: 0,
    sendProxy: "v1",
  });
  for (let i = 0; i < 3; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: lb.addr.port });
    const me = conn.localAddr.port;
    for (let j = 0; j < 2; j++) {
      await writeAll(conn, enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      const body = dec.decode(buf.subarray(0, n ?? 0)).split("\r\n\r\n")[1];
      assert.equal(body, `PROXY TCP4 127.0.0.1 127.0.0.1 ${me} ${lb.addr.port}`);
    }
  }
  assert.equal(seen.length, 3, "one backend connection per client, reused for its requests");
});

Deno.test(
  ...needs(["haproxy"], "emitConfig() renders the PROXY flags for haproxy -c"),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "netlab-proxy-" });
    try {
      for (const mode of ["tcp", "http"] as BalanceMode[]) {
        const backends = [{ host: "127.0.0.1", port: 9002, weight: 1 }];
        const text = emitConfig("haproxy", { backends, mode, acceptProxy: true, sendProxy: "v2" });
        assert.match(text, /bind 127\.0\.0\.1:44444 accept-proxy/);
        assert.match(text, /server b1 .* send-proxy-v2/);
        if (mode === "http") assert.match(text, /http-reuse never/);
        await Deno.writeTextFile(`${dir}/h.cfg`, text);
        const out = await new Deno.Command("haproxy", { args: ["-c", "-f", `${dir}/h.cfg`] })
          .output();
        assert.ok(out.success, dec.decode(out.stderr));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("emitConfig() renders the PROXY flags for nginx, and refuses what nginx cannot send", () => {
  const backends = [{ host: "127.0.0.1", port: 9002, weight: 1 }];
  const tcp = emitConfig("nginx", { backends, acceptProxy: true, sendProxy: "v1" });
  assert.match(tcp, /listen 127\.0\.0\.1:44444 proxy_protocol;/);
  assert.match(tcp, /proxy_protocol on;/);
  const http = emitConfig("nginx", { backends, mode: "http", acceptProxy: true });
  assert.match(http, /real_ip_header proxy_protocol;/);
  assert.throws(() => emitConfig("nginx", { backends, sendProxy: "v2" }), EmitError);
  assert.throws(() => emitConfig("nginx", { backends, mode: "http", sendProxy: "v1" }), EmitError);
});
