import assert from "node:assert/strict";
import { BackendSpecError, formatAddress, parseBackends } from "../../lib/balancer/backend_spec.ts";

Deno.test("parseBackends() reads repeated values in order with weight 1", () => {
  assert.deepEqual(parseBackends(["127.0.0.1:9002", "localhost:80"]), [
    { host: "127.0.0.1", port: 9002, weight: 1 },
    { host: "localhost", port: 80, weight: 1 },
  ]);
});

Deno.test("parseBackends() expands comma lists and port ranges", () => {
  assert.deepEqual(parseBackends(["127.0.0.1:9002-9004, 10.0.0.1:80"]), [
    { host: "127.0.0.1", port: 9002, weight: 1 },
    { host: "127.0.0.1", port: 9003, weight: 1 },
    { host: "127.0.0.1", port: 9004, weight: 1 },
    { host: "10.0.0.1", port: 80, weight: 1 },
  ]);
});

Deno.test("parseBackends() reads @weight, also after a range", () => {
  assert.deepEqual(parseBackends(["127.0.0.1:9002@3", "127.0.0.1:9003-9004@2"]), [
    { host: "127.0.0.1", port: 9002, weight: 3 },
    { host: "127.0.0.1", port: 9003, weight: 2 },
    { host: "127.0.0.1", port: 9004, weight: 2 },
  ]);
});

Deno.test("parseBackends() reads IPv6 in brackets and formatAddress() brackets it again", () => {
  const [b] = parseBackends(["[::1]:9002@2"]);
  assert.deepEqual(b, { host: "::1", port: 9002, weight: 2 });
  assert.equal(formatAddress(b!.host, b!.port), "[::1]:9002");
  assert.equal(formatAddress("127.0.0.1", 80), "127.0.0.1:80");
});

Deno.test("parseBackends() rejects malformed values with a message naming them", () => {
  const bad: [string[], RegExp][] = [
    [[], /No backend given/],
    [[""], /empty item/],
    [["127.0.0.1"], /Invalid backend "127\.0\.0\.1": expected HOST:PORT/],
    [["127.0.0.1:"], /expected HOST:PORT/],
    [["127.0.0.1:0"], /port "0" is not in 1-65535/],
    [["127.0.0.1:70000"], /port "70000"/],
    [["127.0.0.1:9005-9002"], /port range 9005-9002 is empty/],
    [["127.0.0.1:1-2000"], /more than 1024 ports/],
    [["127.0.0.1:9002@0"], /weight must be 1-256/],
    [["127.0.0.1:9002@257"], /weight must be 1-256/],
    [["127.0.0.1:9002@x"], /expected HOST:PORT/],
    [["::1:9002"], /expected HOST:PORT/],
    [["[localhost]:9002"], /only IPv6 addresses go in brackets/],
    [["http://127.0.0.1:9002"], /expected HOST:PORT/],
    [["127.0.0.1:9002,127.0.0.1:9002"], /Backend "127\.0\.0\.1:9002" is listed twice/],
    [["127.0.0.1:9002-9003", "127.0.0.1:9003"], /listed twice/],
    [["a:1,,b:2"], /empty item/],
  ];
  for (const [values, message] of bad) {
    assert.throws(() => parseBackends(values), (err: unknown) => {
      assert.ok(err instanceof BackendSpecError, `${JSON.stringify(values)}: ${err}`);
      assert.match(err.message, message, JSON.stringify(values));
      return true;
    });
  }
});
