import assert from "node:assert/strict";
import {
  INCOMPLETE,
  MAX_FIELDS,
  MAX_HEADER_BYTES,
  MAX_REQUEST_LINE,
  RequestParser,
} from "../../lib/http1/_parser.ts";

const enc = new TextEncoder();

/** Parses `text` whole; returns the result and the parser. */
function parse(text: string): [number, RequestParser] {
  const p = new RequestParser();
  const buf = enc.encode(text);
  return [p.parse(buf, 0, buf.length), p];
}

function status(text: string): number {
  const [n] = parse(text);
  return n < 0 ? -n : n === INCOMPLETE ? 0 : 200;
}

Deno.test("RequestParser.parse() reads an origin-form request", () => {
  const text = "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\r\n";
  const [n, p] = parse(text);
  assert.equal(n, text.length);
  assert.equal(p.method, "GET");
  assert.equal(p.target, "/a/b.txt?x=1");
  assert.equal(p.minor, 1);
  assert.equal(p.host, "example.com:8080");
  assert.equal(p.keepAlive, true);
  assert.equal(p.contentLength, -1);
  assert.deepEqual(p.fields(), [["Host", "example.com:8080"], ["Accept", "*/*"]]);
});

Deno.test("RequestParser.parse() gives each request its own Host and target, repeated or not", () => {
  // one parser serves every connection of a server and keeps the last Host and target's strings
  const p = new RequestParser();
  for (
    const [host, target] of [
      ["a.example:81", "/one.html"],
      ["a.example:81", "/one.html"],
      ["b.example:81", "/two.html"], // the same lengths, other bytes
      ["a.example:81", "/one.htm"],
      ["a.example:82", "/one.html"],
      ["a".repeat(300) + ".example", "/" + "x".repeat(300)], // longer than what is kept
      ["a".repeat(300) + ".example", "/" + "x".repeat(300)],
      ["a.example:81", "/one.html"],
    ]
  ) {
    const buf = enc.encode(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.ok(p.parse(buf, 0, buf.length) > 0);
    assert.equal(p.host, host);
    assert.equal(p.target, target);
  }
});

Deno.test("RequestParser.parse() needs the whole head", () => {
  const text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (let cut = 0; cut < text.length; cut++) {
    assert.equal(status(text.slice(0, cut)), 0, `cut at ${cut}`);
  }
  assert.equal(status(text), 200);
});

Deno.test("RequestParser.parse() gives an absolute-form authority precedence over Host", () => {
  const [, p] = parse("GET http://other.test:81/x?y HTTP/1.1\r\nHost: a.test\r\n\r\n");
  assert.equal(p.host, "other.test:81");
  assert.equal(p.target, "/x?y");
  const [, q] = parse("GET HTTPS://b.test?q HTTP/1.1\r\nHost: a.test\r\n\r\n");
  assert.equal(q.host, "b.test");
  assert.equal(q.target, "/?q");
  assert.equal(status("GET ftp://b.test/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  assert.equal(status("GET http://u@b.test/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  assert.equal(status("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
});

Deno.test("RequestParser.parse() allows * for OPTIONS only", () => {
  const [, p] = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(p.target, "*");
  assert.equal(status("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  assert.equal(status("GET x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
});

Deno.test("RequestParser.parse() follows the version rules", () => {
  const [, p] = parse("GET / HTTP/1.0\r\n\r\n");
  assert.equal(p.minor, 0);
  assert.equal(p.keepAlive, false);
  assert.equal(p.host, null);
  const [, q] = parse("GET / HTTP/1.7\r\nHost: a\r\n\r\n");
  assert.equal(q.minor, 1);
  assert.equal(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  assert.equal(status("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
  assert.equal(status("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505);
  for (const v of ["HTTP/1.10", "HTTP/1", "http/1.1", "HTTP/1.x", "HTTP/11", "HTTP/ 1.1"]) {
    assert.equal(status(`GET / ${v}\r\nHost: a\r\n\r\n`), 400, v);
  }
  assert.equal(status("GET /\r\n\r\n"), 400);
});

Deno.test("RequestParser.parse() follows the Host rules", () => {
  assert.equal(status("GET / HTTP/1.1\r\n\r\n"), 400, "missing on 1.1");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400, "two");
  for (
    const bad of ["x/sub", "a?x", "a b", "a#b", "a@b", "[::1", "[]", "a:b", "a:123456", ":80", ""]
  ) {
    assert.equal(status(`GET / HTTP/1.1\r\nHost: ${bad}\r\n\r\n`), 400, bad);
  }
  for (const good of ["a", "127.0.0.1:8000", "[::1]:80", "ex-ample.test.", "a:", "x_y~z"]) {
    assert.equal(status(`GET / HTTP/1.1\r\nHost: ${good}\r\n\r\n`), 200, good);
  }
  assert.equal(status("GET http://a/ HTTP/1.1\r\n\r\n"), 400, "absolute-form needs Host too");
  assert.equal(status("GET / HTTP/1.0\r\nHost: a/b\r\n\r\n"), 400, "a bad one on 1.0");
});

Deno.test("RequestParser.parse() refuses malformed fields", () => {
  assert.equal(status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400, "space before colon");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n"), 400, "obs-fold");
  assert.equal(status("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400, "leading space");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n"), 400, "no colon");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n"), 400, "empty name");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"), 400, "bare LF");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"), 400, "bare CR");
  assert.equal(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400, "NUL");
  assert.equal(status("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400, "request line LF");
  assert.equal(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "two spaces");
  assert.equal(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "method token");
  assert.equal(status("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "space in target");
  assert.equal(status("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "fragment");
  assert.equal(status("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "non-ASCII target");
  assert.equal(status("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 200, "leading empty lines");
});

Deno.test("RequestParser.parse() checks body framing", () => {
  const [, p] = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
  assert.equal(p.contentLength, 12);
  const [, q] = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  , Chunked ,\r\n\r\n");
  assert.equal(q.chunked, true);
  // RFC 9112 section 6.1: chunked last and once; a coding this server does not implement is 501
  const te = (...lines: string[]) =>
    status(
      `POST / HTTP/1.1\r\nHost: a\r\n${
        lines.map((l) => `Transfer-Encoding: ${l}\r\n`).join("")
      }\r\n`,
    );
  assert.equal(te("chunked", ""), 200);
  assert.equal(te("gzip, chunked"), 501);
  assert.equal(te("identity, chunked"), 501);
  assert.equal(te("gzip", "chunked"), 501, "the lines make one list");
  assert.equal(te("chunked", "gzip"), 400, "chunked not last");
  assert.equal(te("chunked, chunked"), 400, "chunked twice");
  assert.equal(te("chunked", "chunked"), 400, "chunked twice, on two lines");
  assert.equal(te("chunked;q=1"), 400);
  assert.equal(te("xchunked"), 400);
  const cl = "Content-Length";
  assert.equal(status(`POST / HTTP/1.1\r\nHost: a\r\n${cl}: 1\r\n${cl}: 1\r\n\r\n`), 200);
  assert.equal(status(`POST / HTTP/1.1\r\nHost: a\r\n${cl}: 1\r\n${cl}: 2\r\n\r\n`), 400);
  for (const bad of ["", "-1", "1.0", "0x10", "1, 1", "+5", "1234567890123456", " 5 x"]) {
    assert.equal(status(`POST / HTTP/1.1\r\nHost: a\r\n${cl}: ${bad}\r\n\r\n`), 400, bad);
  }
  assert.equal(
    status(`POST / HTTP/1.1\r\nHost: a\r\n${cl}: 3\r\nTransfer-Encoding: chunked\r\n\r\n`),
    400,
    "CL and TE",
  );
  assert.equal(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
  assert.equal(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "TE on 1.0");
});

Deno.test("RequestParser.parse() reads Connection and Expect", () => {
  assert.equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")[1].keepAlive, false);
  assert.equal(
    parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n")[1].keepAlive,
    false,
  );
  assert.equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")[1].keepAlive, true);
  assert.equal(
    parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")[1].keepAlive,
    false,
  );
  const [, p] = parse(
    "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
  );
  assert.equal(p.expectContinue, true);
  assert.equal(status("POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n"), 417);
});

Deno.test("RequestParser.parse() marks requests a cached answer cannot serve", () => {
  const [, p] = parse(
    'GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "x"\r\nAccept-Encoding: br\r\n\r\n',
  );
  assert.equal(p.plain, true);
  assert.equal(p.ifNoneMatch, '"x"');
  assert.equal(p.acceptEncoding, "br");
  for (const h of ["Range: bytes=0-1", "If-Match: *", 'If-Range: "x"', "if-modified-since: x"]) {
    assert.equal(parse(`GET / HTTP/1.1\r\nHost: a\r\n${h}\r\n\r\n`)[1].plain, false, h);
  }
});

Deno.test("RequestParser.parse() enforces the size limits", () => {
  const long = "/" + "a".repeat(MAX_REQUEST_LINE);
  assert.equal(status(`GET ${long} HTTP/1.1\r\nHost: a\r\n\r\n`), 414);
  assert.equal(status(`GET ${long}`), 414, "before the line ends");
  const big = `X: ${"b".repeat(1000)}\r\n`.repeat(Math.ceil(MAX_HEADER_BYTES / 1000));
  assert.equal(status(`GET / HTTP/1.1\r\nHost: a\r\n${big}\r\n`), 431);
  assert.equal(status(`GET / HTTP/1.1\r\nHost: a\r\n${big}`), 431, "before the head ends");
  const many = "X: 1\r\n".repeat(MAX_FIELDS);
  assert.equal(status(`GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`), 431);
  const enough = "X: 1\r\n".repeat(MAX_FIELDS - 1);
  assert.equal(status(`GET / HTTP/1.1\r\nHost: a\r\n${enough}\r\n`), 200);
});

Deno.test("RequestParser.parse() reads pipelined requests one at a time", () => {
  const one = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const buf = enc.encode(one + one.replace("/1", "/2"));
  const p = new RequestParser();
  const n = p.parse(buf, 0, buf.length);
  assert.equal(n, one.length);
  assert.equal(p.target, "/1");
  assert.equal(p.parse(buf, n, buf.length), one.length);
  assert.equal(p.target, "/2");
});
