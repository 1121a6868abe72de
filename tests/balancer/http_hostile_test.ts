/**
 * `--mode http` against hostile clients: slow heads, garbage, oversized heads, and the
 * request-smuggling case set with the balancer as the front proxy (the canary method: each
 * ambiguous request is followed on the same connection by a canary, and no response may ever
 * reach the wrong request, nor the backend see the request hidden in a body).
 */
import assert from "node:assert/strict";
import { dec, get, httpBackend, httpBalancer, RawClient, type RawResponse } from "./_http.ts";

const linux = Deno.build.os === "linux";

Deno.test({
  name: "Balancer (http mode) answers hostile heads with 400, 408, 414, 431, 505 and closes",
  ignore: !linux,
  async fn() {
    await using be = httpBackend("be");
    // long enough that a busy machine's stall cannot time out the heads that did arrive whole
    await using lb = await httpBalancer([be.port], { requestTimeoutMs: 1000 });
    const cases: [string, string, number][] = [
      ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400],
      ["bare LF", "GET / HTTP/1.1\nHost: t\n\n", 400],
      ["long line", `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
      ["huge head", `GET / HTTP/1.1\r\nHost: t\r\n${"X-Pad: y\r\n".repeat(4000)}\r\n`, 431],
      ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505],
      ["slow head", "GET / HTTP/1.1\r\nHo", 408],
    ];
    for (const [name, bytes, status] of cases) {
      using client = await RawClient.connect(lb.addr.port);
      await client.send(bytes);
      const res = await client.read();
      assert.equal(res?.status, status, name);
      assert.ok(await client.closed(), `${name}: closed after`);
    }
    assert.equal(be.requests, 0, "no hostile head reached the backend");
    using fine = await RawClient.connect(lb.addr.port);
    await fine.send(get("/"));
    assert.equal((await fine.read())?.status, 200);
  },
});

const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
const CANARY = "GET /canary HTTP/1.1\r\nHost: t\r\n\r\n";

/** Ambiguous (or broken) framings, each with a hidden request in what may be read as a body. */
const CASES: [string, string][] = [
  [
    "CL and TE",
    `POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    "TE and CL",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    "two lengths",
    `POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  ["length list", `POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 0, 0\r\n\r\n${SMUGGLED}`],
  ["signed length", `POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: +0\r\n\r\n${SMUGGLED}`],
  [
    "TE not last chunked",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ["TE xchunked", `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n${SMUGGLED}`],
  [
    "space before colon",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    "obs-fold TE",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    "TE on HTTP/1.0",
    `POST /a HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    "chunk size overflow",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000000000022\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  ],
  [
    "chunk size 0x",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0x22\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  ],
  [
    "bare LF in chunk line",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n22;x\n${SMUGGLED}\r\n0\r\n\r\n`,
  ],
  [
    "chunk data too long",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nAB\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ["two hosts", `GET /a HTTP/1.1\r\nHost: t\r\nHost: u\r\nContent-Length: 0\r\n\r\n`],
  ["NUL in value", `GET /a HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n`],
  // controls: well framed, the "hidden" request is plain body bytes
  [
    "control: length",
    `POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    "control: chunked",
    `POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${
      SMUGGLED.length.toString(16)
    }\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  ],
];

Deno.test({
  name: "Balancer (http mode) as front proxy lets no smuggled request through (canary method)",
  ignore: !linux,
  async fn() {
    const seen: string[] = [];
    await using be = httpBackend("be", async (req) => {
      const path = new URL(req.url).pathname;
      seen.push(path);
      await req.arrayBuffer();
      return new Response(`path:${path}`);
    });
    await using lb = await httpBalancer([be.port]);
    const report: string[] = [];
    for (const [name, ambiguous] of CASES) {
      using client = await RawClient.connect(lb.addr.port);
      await client.send(ambiguous + CANARY);
      const answers: RawResponse[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await client.read();
        if (res === null) break;
        answers.push(res);
      }
      const bodies = answers.map((r) => `${r.status} ${dec.decode(r.body)}`);
      report.push(`${name}: ${bodies.join(" | ")}`);
      if (answers.length === 2) {
        assert.equal(bodies[1], "200 path:/canary", `${name}: the canary got its own answer`);
        assert.notEqual(bodies[0], "200 path:/canary", name);
      }
      if (name.startsWith("control")) assert.equal(answers.length, 2, name);
      else {
        assert.ok(answers[0]!.status >= 400, `${name} was refused: ${bodies.join(" | ")}`);
        assert.equal(answers.length, 1, `${name}: nothing after the refusal`);
      }
    }
    assert.ok(
      !seen.includes("/smuggled"),
      `the backend saw a hidden request:\n${report.join("\n")}`,
    );
  },
});
