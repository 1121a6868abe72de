import assert from "node:assert/strict";
import { counted } from "../../lib/runtime/text.ts";

Deno.test("counted() says one thing in the singular and any other count in the plural", () => {
  assert.equal(counted(1, "connection"), "1 connection");
  assert.equal(counted(0, "connection"), "0 connections");
  assert.equal(counted(2, "request"), "2 requests");
});
