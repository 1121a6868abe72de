import assert from "node:assert/strict";
import { decodeSockAddr, encodeSockAddr, isIpLiteral } from "../../lib/loop/sockaddr.ts";

Deno.test("isIpLiteral() accepts IPv4 and IPv6 literals, not names or zones", () => {
  for (const ok of ["127.0.0.1", "0.0.0.0", "::1", "::", "2001:db8::8:1", "::ffff:10.0.0.1"]) {
    assert.ok(isIpLiteral(ok), ok);
  }
  for (const no of ["localhost", "256.0.0.1", "1.2.3", "fe80::1%lo", "1::2::3", "12345::1"]) {
    assert.ok(!isIpLiteral(no), no);
  }
});

Deno.test("encodeSockAddr() and decodeSockAddr() round-trip, printing IPv6 as Deno does", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["fe80::abcd:1", "fe80::abcd:1"],
  ];
  for (const [input, printed] of cases) {
    const sa = encodeSockAddr(input, 9002);
    const back = decodeSockAddr(sa.bytes);
    assert.deepEqual(back, { transport: "tcp", hostname: printed, port: 9002 }, input);
  }
  assert.throws(() => encodeSockAddr("localhost", 1), TypeError);
});
