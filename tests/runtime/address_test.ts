import assert from "node:assert/strict";
import { formatAddress } from "../../lib/runtime/address.ts";

Deno.test("formatAddress() brackets IPv6 hosts only", () => {
  assert.equal(formatAddress("127.0.0.1", 8000), "127.0.0.1:8000");
  assert.equal(formatAddress("localhost", 80), "localhost:80");
  assert.equal(formatAddress("::1", 9002), "[::1]:9002");
  assert.equal(formatAddress("fe80::1%lo", 1), "[fe80::1%lo]:1");
});
