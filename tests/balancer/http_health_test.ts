/** `--mode http`: HTTP health checks, passive marking by 5xx, and per-backend request stats. */
import assert from "node:assert/strict";
import { parseHealthCheck } from "../../lib/balancer/http/health_probe.ts";
import { dec, get, httpBackend, httpBalancer, RawClient } from "./_http.ts";
import { netlab } from "../_netlab.ts";

const linux = Deno.build.os === "linux";

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), `gave up waiting: ${what}`);
}

Deno.test("parseHealthCheck() takes METHOD /path or /path and refuses the rest", () => {
  assert.deepEqual(parseHealthCheck("GET /health"), { method: "GET", path: "/health" });
  assert.deepEqual(parseHealthCheck("/ready"), { method: "GET", path: "/ready" });
  assert.deepEqual(parseHealthCheck("HEAD /"), { method: "HEAD", path: "/" });
  for (const bad of ["", "GET", "get /x", "GET health", "GET /a b"]) {
    assert.throws(() => parseHealthCheck(bad), TypeError, bad);
  }
});

Deno.test({
  name: "Balancer (http mode) takes a backend out when GET /health fails and back when it passes",
  ignore: !linux,
  async fn() {
    let sick = false;
    await using a = httpBackend(
      "a",
      (req) =>
        new URL(req.url).pathname === "/health" && sick
          ? new Response("no", { status: 503 })
          : new Response("a"),
    );
    await using b = httpBackend("b");
    await using lb = await httpBalancer([a.port, b.port], {
      healthIntervalMs: 50,
      healthCheck: "GET /health",
      healthFall: 2,
      healthRise: 2,
    });
    sick = true;
    await until("a is down", () => lb.backends[0]!.state === "down");
    using client = await RawClient.connect(lb.addr.port);
    for (let i = 0; i < 4; i++) {
      await client.send(get("/"));
      assert.equal(dec.decode((await client.read())!.body), "b");
    }
    sick = false;
    await until("a is up", () => lb.backends[0]!.state === "up");
  },
});

Deno.test({
  name: "Balancer (http mode) marks a backend down after 10 failed responses in a row",
  ignore: !linux,
  async fn() {
    await using bad = httpBackend("bad", () => new Response("oops", { status: 500 }));
    await using good = httpBackend("good");
    await using lb = await httpBalancer([bad.port, good.port], { healthIntervalMs: 600_000 });
    using client = await RawClient.connect(lb.addr.port);
    for (let i = 0; i < 20; i++) {
      await client.send(get("/"));
      await client.read();
    }
    assert.equal(bad.requests, 10);
    assert.equal(lb.backends[0]!.state, "down");
    await client.send(get("/"));
    assert.equal(dec.decode((await client.read())!.body), "good");
  },
});

Deno.test({
  name: "Balancer (http mode) counts requests, status classes, bytes and times per backend",
  ignore: !linux,
  async fn() {
    await using a = httpBackend(
      "a",
      (req) =>
        new URL(req.url).pathname === "/missing"
          ? new Response("nope", { status: 404 })
          : new Response("hello"),
    );
    await using lb = await httpBalancer([a.port], { statsPort: 0 });
    using client = await RawClient.connect(lb.addr.port);
    for (const path of ["/", "/", "/missing"]) {
      await client.send(get(path));
      await client.read();
    }
    const stats = await (await fetch(`http://127.0.0.1:${lb.statsAddr!.port}/stats`)).json();
    const r = stats.backends[0].requests;
    assert.equal(r.requests, 3);
    assert.equal(r["2xx"], 2);
    assert.equal(r["4xx"], 1);
    assert.ok(r.bytesDown > 14 && r.bytesUp > 0, JSON.stringify(r));
    assert.equal(stats.backends[0].total, 3);
    const text = await (await fetch(`http://127.0.0.1:${lb.statsAddr!.port}/metrics`)).text();
    const addr = `127.0.0.1:${a.port}`;
    assert.match(
      text,
      new RegExp(`netlab_backend_http_requests_total\\{backend="${addr}",code="2xx"\\} 2`),
    );
    assert.match(
      text,
      new RegExp(
        `netlab_backend_http_response_seconds_bucket\\{backend="${addr}",le="\\+Inf"\\} 3`,
      ),
    );
    assert.match(
      text,
      new RegExp(`netlab_backend_http_response_seconds_count\\{backend="${addr}"\\} 3`),
    );
  },
});

Deno.test("netlab balance refuses --health-check without --mode http, and a bad one", async () => {
  const without = await netlab(["balance", "--backend", "127.0.0.1:1", "--health-check", "GET /"]);
  assert.equal(without.code, 2);
  assert.match(without.stderr, /need --mode http/);
  const bad = await netlab([
    "balance",
    "--mode",
    "http",
    "--backend",
    "127.0.0.1:1",
    "--health-check",
    "health",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid health check "health"/);
});
