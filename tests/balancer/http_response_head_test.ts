import assert from "node:assert/strict";
import {
  Framing,
  INCOMPLETE,
  INVALID,
  ResponseHead,
} from "../../lib/balancer/http/_response_head.ts";

const enc = new TextEncoder();

function parse(text: string, head = false): [number, ResponseHead] {
  const r = new ResponseHead();
  const b = enc.encode(text);
  return [r.parse(b, 0, b.length, head), r];
}

Deno.test("ResponseHead.parse() frames a response as RFC 9112 section 6.3 says", () => {
  const cases: [string, boolean, Framing, boolean][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, Framing.Length, true],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, Framing.Chunked, true],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, Framing.Close, false],
    ["HTTP/1.1 200 OK\r\n\r\n", false, Framing.Close, false],
    ["HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", false, Framing.None, true],
    ["HTTP/1.1 304 Not Modified\r\n\r\n", false, Framing.None, true],
    ["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, Framing.None, true],
    ["HTTP/1.1 100 Continue\r\n\r\n", false, Framing.None, true],
    ["HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false, Framing.Length, false],
    [
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
      false,
      Framing.Length,
      true,
    ],
    [
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
      false,
      Framing.Length,
      false,
    ],
    ["HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", false, Framing.Length, true],
  ];
  for (const [text, head, framing, keepAlive] of cases) {
    const [n, r] = parse(text, head);
    assert.equal(n, text.length, text);
    assert.equal(r.framing, framing, text);
    assert.equal(r.keepAlive, keepAlive, text);
  }
});

Deno.test("ResponseHead.parse() refuses ambiguous or malformed heads, waits for partial ones", () => {
  for (
    const text of [
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 5\n\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
    ]
  ) assert.equal(parse(text)[0], INVALID, text);
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Le")[0], INCOMPLETE);
  assert.equal(parse("HTTP/1.1 200 OK\r\n")[0], INCOMPLETE);
});

Deno.test("ResponseHead.parse() says whether a hop-by-hop field is among the fields", () => {
  const plain = "HTTP/1.1 200 OK\r\nX-Keep-Alive-Ish: 1\r\nTEA: 1\r\n";
  assert.equal(parse(`${plain}\r\n`)[1].fields.hop, false);
  for (
    const field of [
      "Connection: x-a",
      "Keep-Alive: timeout=5",
      "TE: trailers",
      "Upgrade: websocket",
      "Proxy-Connection: keep-alive",
      "transfer-encoding: gzip",
    ]
  ) {
    const [n, r] = parse(`${plain}${field}\r\n\r\n`);
    assert.ok(n > 0, field);
    assert.equal(r.fields.hop, true, field);
  }
});
