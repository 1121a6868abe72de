/**
 * One suite, both engines: every case runs with `fetch`, with `raw` on its default sockets (epoll
 * on Linux with FFI) and with `raw` on Deno.connect (STYLE 11, 14).
 */
import assert from "node:assert/strict";
import { bench } from "../../lib/bench/run.ts";
import { deadPort, fixedServer, response, startServer } from "./_servers.ts";

const enc = new TextEncoder();

const VARIANTS = [
  { engine: "fetch", label: "fetch", sockets: {} },
  { engine: "raw", label: "raw", sockets: {} },
  { engine: "raw", label: "raw on Deno sockets", sockets: { sockets: "deno" } },
] as const;

for (const { engine, label, sockets } of VARIANTS) {
  Deno.test(`bench() [${label}] counts exactly what it sent and received`, async () => {
    await using server = fixedServer("hello world\n");
    const r = await bench({ url: server.url, requests: 37, concurrency: 4, engine, ...sockets });
    assert.equal(r.complete, 37);
    assert.equal(r.failed, 0);
    assert.equal(server.requests(), 37);
    assert.equal(server.connections(), 37);
    assert.equal(r.documentLength, 12);
    assert.equal(r.htmlTransferred, 37 * 12);
    assert.equal(r.statusCodes["200"], 37);
    assert.equal(r.serverSoftware, "netlab-test");
    assert.equal(r.keepAliveRequests, 0);
    if (engine === "raw") assert.equal(r.totalTransferred, 37 * response("hello world\n").length);
    assert.ok(r.connectionTimes !== null);
    assert.ok(r.percentiles["99.99"]! >= r.percentiles["50"]!);
  });

  Deno.test(`bench() [${label}] with keep-alive reuses connections and counts them`, async () => {
    await using server = fixedServer("ka");
    const r = await bench({
      url: server.url,
      requests: 50,
      concurrency: 5,
      keepAlive: true,
      engine,
      ...sockets,
    });
    assert.equal(r.complete, 50);
    assert.equal(r.failed, 0);
    assert.equal(r.keepAliveRequests, 50);
    // fetch's pool may open a spare connection when a request races a connection's return.
    if (engine === "raw") assert.equal(server.connections(), 5);
    else assert.ok(server.connections() <= 10, `${server.connections()} connections`);
  });

  Deno.test(`bench() [${label}] retries a kept-alive connection the server closed unanswered`, async () => {
    // Every 4th request on a connection is read and the connection closed without an answer, as
    // a server ending an idle keep-alive connection does: ab and both engines send it again.
    await using server = startServer(({ index }) =>
      index % 4 === 3
        ? { bytes: new Uint8Array(), close: true }
        : { bytes: response("ka", { keepAlive: true }), close: false }
    );
    const r = await bench({ url: server.url, requests: 9, keepAlive: true, engine, ...sockets });
    assert.equal(r.complete, 9, JSON.stringify(r.errors));
    assert.equal(r.failed, 0);
    assert.equal(server.requests(), 11);
  });

  Deno.test(`bench() [${label}] counts Length failures when the body length changes`, async () => {
    await using server = startServer(({ index }) => ({
      bytes: response(index % 2 === 0 ? "short" : "much longer"),
      close: true,
    }));
    const r = await bench({ url: server.url, requests: 10, engine, ...sockets });
    assert.equal(r.complete, 10);
    assert.equal(r.documentLength, 5);
    assert.equal(r.failures.length, 5);
    assert.equal(r.failed, 5);
    const v = await bench({ url: server.url, requests: 4, engine, variableLength: true });
    assert.equal(v.failed, 0);
    assert.equal(v.documentLength, null);
  });

  Deno.test(`bench() [${label}] counts a server closing mid-body as a failure`, async () => {
    await using server = startServer(({ index }) => {
      const full = response("0123456789");
      return { bytes: index % 2 === 0 ? full : full.subarray(0, full.length - 4), close: true };
    });
    const r = await bench({ url: server.url, requests: 6, engine, ...sockets });
    assert.equal(r.complete, 3);
    assert.equal(r.failed, 3);
    assert.equal(r.failures.receive + r.failures.exceptions, 3);
    assert.equal(Object.values(r.errors).reduce((a, b) => a + b, 0), 3);
  });

  Deno.test(`bench() [${label}] counts Connect failures when nothing listens`, async () => {
    const r = await bench({
      url: `http://127.0.0.1:${deadPort()}/`,
      requests: 3,
      engine,
      ...sockets,
    });
    assert.equal(r.complete, 0);
    assert.equal(r.failed, 3);
    assert.equal(r.failures.connect, 3);
    assert.deepEqual(r.errors, { "connection refused": 3 });
    assert.equal(r.connectionTimes, null);
  });

  Deno.test(`bench() [${label}] counts Non-2xx responses without failing them`, async () => {
    await using server = startServer(({ index }) => ({
      bytes: response("same", { status: index < 2 ? "404 Not Found" : "200 OK" }),
      close: true,
    }));
    const r = await bench({ url: server.url, requests: 5, engine, ...sockets });
    assert.equal(r.complete, 5);
    assert.equal(r.failed, 0);
    assert.equal(r.non2xx, 2);
    assert.deepEqual(r.statusCodes, { "200": 3, "404": 2 });
  });

  Deno.test(`bench() [${label}] reads chunked bodies, also on kept-alive connections`, async () => {
    await using server = startServer(({ keepAlive }) => ({
      bytes: response("", { chunks: ["hello ", "chunked ", "world"], keepAlive }),
      close: !keepAlive,
    }));
    const r = await bench({
      url: server.url,
      requests: 20,
      concurrency: 2,
      keepAlive: true,
      engine,
      ...sockets,
    });
    assert.equal(r.complete, 20);
    assert.equal(r.failed, 0);
    assert.equal(r.documentLength, 19);
    assert.equal(r.htmlTransferred, 20 * 19);
    if (engine === "raw") assert.equal(server.connections(), 2);
    else assert.ok(server.connections() <= 4, `${server.connections()} connections`);
  });

  Deno.test(`bench() [${label}] ends requests and the run when the server never answers (-s)`, async () => {
    await using server = startServer(({ index }) =>
      index < 3 ? { bytes: response("ok"), close: true } : null
    );
    const started = performance.now();
    const r = await bench({
      url: server.url,
      requests: 100,
      timeoutSeconds: 1,
      engine,
      ...sockets,
    });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(r.complete, 3);
    assert.equal(r.failures.exceptions, 1);
    assert.equal(r.timedOut, true);
    assert.deepEqual(r.errors, { "timeout: no response within 1 s (-s)": 1 });
  });

  Deno.test(`bench() [${label}] sends the body, method and headers it was given`, async () => {
    const seen: string[] = [];
    await using server = startServer(({ head }) => {
      seen.push(head);
      return { bytes: response("ok"), close: true };
    });
    const r = await bench({
      url: `${server.url}path?q=1`,
      requests: 2,
      body: enc.encode("a=1&b=2"),
      contentType: "application/x-www-form-urlencoded",
      headers: [["X-Test", "yes"]],
      engine,
      ...sockets,
    });
    assert.equal(r.complete, 2);
    // ab's "Total body sent" counts whole requests; fetch cannot see its heads, so bodies only.
    assert.equal(r.totalBodySent, engine === "raw" ? 2 * (enc.encode(seen[0]!).length + 7) : 14);
    assert.match(seen[0]!, /^POST \/path\?q=1 HTTP\/1\.1\r\n/);
    assert.match(seen[0]!, /^x-test: yes\r$/im);
    assert.match(seen[0]!, /^content-type: application\/x-www-form-urlencoded\r$/im);
    assert.match(seen[0]!, /^content-length: 7\r$/im);
  });

  Deno.test(`bench() [${label}] with a time limit stops by itself`, async () => {
    await using server = fixedServer("t");
    const r = await bench({
      url: server.url,
      timeLimitSeconds: 0.5,
      concurrency: 2,
      engine,
      ...sockets,
    });
    assert.ok(r.complete > 0);
    assert.equal(r.failed, 0);
    assert.equal(r.interrupted, false);
  });

  Deno.test(`bench() [${label}] stops on its signal and reports what was done`, async () => {
    await using server = fixedServer("s");
    const controller = new AbortController();
    // Interrupt once requests flow, however slow the machine is.
    const timer = setInterval(() => {
      if (server.requests() >= 20) controller.abort();
    }, 10);
    const r = await bench({
      url: server.url,
      requests: 10_000_000,
      keepAlive: true,
      engine,
      ...sockets,
    }, {
      signal: controller.signal,
    });
    clearInterval(timer);
    assert.equal(r.interrupted, true);
    assert.ok(r.complete > 0 && r.complete < 10_000_000);
    assert.equal(r.failed, 0);
  });
}

Deno.test("bench() --rate stops at once on its signal, even between due times", async () => {
  await using server = fixedServer("slow rate");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  const r = await bench({ url: server.url, rate: 0.01, requests: 3, engine: "raw" }, {
    signal: controller.signal,
  });
  clearTimeout(timer);
  // The second request is due 100 s after the first: stopping must not wait for it (the bound is
  // far from both the abort and the due time, so a busy machine cannot make it fail).
  assert.ok(performance.now() - started < 50_000);
  assert.equal(r.complete, 1);
  assert.equal(r.interrupted, true);
});

Deno.test("bench() --rate holds its rate in the open model", async () => {
  await using server = fixedServer("r");
  const progress: number[] = [];
  const r = await bench({
    url: server.url,
    rate: 200,
    requests: 60,
    concurrency: 4,
    keepAlive: true,
    engine: "raw",
  }, { onProgress: (p) => progress.push(p.done) });
  assert.equal(r.complete, 60);
  assert.equal(r.rate, 200);
  // 60 requests due over 295 ms: the run cannot be much faster than its schedule.
  assert.ok(r.timeTakenSeconds >= 0.25, `took ${r.timeTakenSeconds}`);
  assert.ok(r.requestsPerSecond <= 240, `rate ${r.requestsPerSecond}`);
  assert.equal(progress.at(-1), 60);
});

Deno.test("bench() --rate counts latency from when a request was due (coordinated omission)", async () => {
  // The first response stalls 300 ms; at 100 req/s on one connection the requests queued behind it
  // must report that wait, as their users would have seen it.
  await using server = startServer(async ({ index }) => {
    if (index === 0) await new Promise((r) => setTimeout(r, 300));
    return { bytes: response("x", { keepAlive: true }), close: false };
  });
  const r = await bench({
    url: server.url,
    rate: 100,
    requests: 10,
    concurrency: 1,
    keepAlive: true,
    engine: "raw",
  });
  assert.equal(r.complete, 10);
  // Uncorrected, 9 of 10 requests would take well under a millisecond.
  assert.ok(r.percentiles["50"]! >= 150, `median ${r.percentiles["50"]} ms`);
});

for (const sockets of ["auto", "deno"] as const) {
  Deno.test(`bench() [raw, ${sockets} sockets] ends connects stuck on a full accept queue at the timeout (-s)`, async () => {
    // Nothing accepts: Deno's accept queue holds 512 connections and the kernel drops the SYNs of
    // the rest, whose connects would hang for minutes unless aborted.
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await bench({
      url: `http://127.0.0.1:${port}/`,
      requests: 700,
      concurrency: 700,
      timeoutSeconds: 0.5,
      engine: "raw",
      sockets,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.complete, 0);
    assert.ok(r.failures.exceptions >= 1, JSON.stringify(r.errors));
  });
}
