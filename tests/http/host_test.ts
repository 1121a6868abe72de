import assert from "node:assert/strict";
import { isValidHost, targetStart } from "../../lib/http/_host.ts";

Deno.test("isValidHost() takes a host and an optional port, nothing else", () => {
  for (
    const ok of [
      "localhost",
      "127.0.0.1:8000",
      "www.example.test",
      "EXAMPLE.test:80",
      "[::1]",
      "[::1]:443",
      "[v1.x]",
      "a:",
      "xn--bcher-kva.example",
      "a%41b",
      "a_b-c~d",
      "a:65535",
    ]
  ) assert.ok(isValidHost(ok), ok);
  for (
    const bad of [
      "",
      "a?x",
      "a/b",
      "a#b",
      "u@a",
      "a b",
      "a\\b",
      "a:99999",
      "a:65536",
      "a:123456",
      "a:x",
      "[::1",
      "::1",
      "[::1]x",
      "a%4",
      "a:80:80",
      "a\tb",
    ]
  ) assert.ok(!isValidHost(bad), bad);
});

Deno.test("targetStart() finds the request target only where Host and req.url agree", () => {
  assert.equal(targetStart("http://a:8/x?y", "a:8"), 10);
  assert.equal(targetStart("http://A.test/x", "a.TEST"), 13);
  assert.equal(targetStart("http://localhost:8000/x", null), 21);
  assert.equal(targetStart("http://a?x/page.html", "a?x"), -1);
  assert.equal(targetStart("http://a?x/page.html", null), -1);
  assert.equal(targetStart("http://other/x", "a"), -1);
  assert.equal(targetStart("http://ab/x", "a"), -1);
  assert.equal(targetStart("http://a", "a"), -1);
});
