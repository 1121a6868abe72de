import assert from "node:assert/strict";
import { haproxyConfig } from "../../lib/balancer/haproxy.ts";
import { needs } from "../_tools.ts";
import {
  bodiesOnOneConnection,
  dec,
  FORWARDED_SEEN,
  forwardingBackend,
  forwardingThrough,
} from "./_http.ts";

const backends = [
  { host: "127.0.0.1", port: 9002, weight: 1 },
  { host: "::1", port: 9003, weight: 3 },
  { host: "127.0.0.1", port: 9004, weight: 256 }, // the largest weight parseBackends() takes
];

Deno.test("haproxyConfig() renders frontend, backends, strategy, checks and timeouts", () => {
  const text = haproxyConfig({ backends, port: 44444, strategy: "round-robin" });
  for (
    const line of [
      "  mode tcp",
      "  bind 127.0.0.1:44444",
      "  balance roundrobin",
      "  option redispatch 1",
      "  retries 3",
      "  timeout connect 3000ms",
      "  timeout client 60000ms",
      "  hard-stop-after 10000ms",
      "  server b1 127.0.0.1:9002 weight 1 check inter 2000ms rise 2 fall 3 observe layer4 error-limit 3 on-error mark-down",
      "  server b2 [::1]:9003 weight 3 check inter 2000ms rise 2 fall 3 observe layer4 error-limit 3 on-error mark-down",
    ]
  ) assert.ok(text.split("\n").includes(line), line);
  assert.match(text, /SIGUSR1/, "says how to make HAProxy drain like netlab on SIGTERM");
  // no fin timeout given: the idle timeout governs half-closed connections, in both
  assert.doesNotMatch(text, /-fin/);
  const fin = haproxyConfig({ backends, port: 44444, finTimeoutMs: 5000 }).split("\n");
  assert.ok(fin.includes("  timeout client-fin 5000ms"));
  assert.ok(fin.includes("  timeout server-fin 5000ms"));
});

Deno.test("haproxyConfig() maps every strategy and drops checks when disabled", () => {
  assert.match(haproxyConfig({ backends, strategy: "least-conn" }), /balance leastconn/);
  assert.match(haproxyConfig({ backends, strategy: "random" }), /balance random\(2\)/);
  const hash = haproxyConfig({ backends, strategy: "source-hash", healthIntervalMs: 0 });
  assert.match(hash, /balance source\n {2}hash-type consistent/);
  assert.doesNotMatch(hash, / check/);
});

Deno.test(...needs(["haproxy"], "haproxyConfig() output is accepted by haproxy -c"), async () => {
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-" });
  try {
    const file = `${dir}/haproxy.cfg`;
    await Deno.writeTextFile(file, haproxyConfig({ backends, statsPort: 8404 }));
    const out = await new Deno.Command("haproxy", { args: ["-c", "-f", file] }).output();
    assert.ok(
      out.success,
      new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  ...needs(
    ["haproxy"],
    "haproxyConfig() in http mode passes haproxy -c, spreads each request and forwards as netlab",
  ),
  async () => {
    await using a = forwardingBackend("a");
    await using b = forwardingBackend("b");
    for (const forwarded of [false, true]) await httpModeHaproxy([a.port, b.port], forwarded);
  },
);

/** Runs HAProxy on haproxyConfig()'s http mode over `ports` and checks what reaches them. */
async function httpModeHaproxy(ports: number[], forwarded: boolean): Promise<void> {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  const text = haproxyConfig({
    backends: ports.map((p) => ({ host: "127.0.0.1", port: p, weight: 1 })),
    port,
    mode: "http",
    healthIntervalMs: 0,
    forwarded,
  });
  for (const line of ["  mode http", "  http-reuse safe", "  option forwardfor"]) {
    assert.ok(text.split("\n").includes(line), line);
  }
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-" });
  const file = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(file, text);
  const check = await new Deno.Command("haproxy", { args: ["-c", "-f", file] }).output();
  assert.ok(check.success, dec.decode(check.stderr) + dec.decode(check.stdout));
  const child = new Deno.Command("haproxy", {
    args: ["-f", file, "-db"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    assert.deepEqual((await bodiesOnOneConnection(port, 4)).sort(), ["a", "a", "b", "b"]);
    const seen = await forwardingThrough(port);
    assert.deepEqual(seen, FORWARDED_SEEN[forwarded ? "forwarded" : "plain"], `${forwarded}`);
  } finally {
    child.kill();
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}
