import assert from "node:assert/strict";
import { serve } from "../../lib/server/async.ts";
import { rawExchange } from "./_raw.ts";

function headOf(raw: string): Map<string, string> {
  const lines = raw.slice(0, raw.indexOf("\r\n\r\n")).split("\r\n");
  const headers = new Map([["status", lines[0]!]]);
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  headers.delete("date");
  return headers;
}

Deno.test("serve() answers HEAD with GET's status line and headers, never a false length", async () => {
  const root = await Deno.makeTempDir({ prefix: "netlab-head-" });
  try {
    await Deno.mkdir(`${root}/dir`);
    await Deno.writeTextFile(`${root}/dir/a.txt`, "a\n");
    // larger than the memory cache and compressible: streamed through gzip, length unknown
    await Deno.writeTextFile(`${root}/big.txt`, "netlab streams large files. ".repeat(11_000));
    await using server = await serve({ root, port: 0, accessLog: false, list: true });
    const cases: [string, string][] = [
      ["/missing.txt", ""], // no 404.html in this root: the plain-text 404
      ["/%zz", ""],
      ["/dir/", ""],
      ["/dir/a.txt", 'If-Match: "nope"\r\n'],
      ["/big.txt", "Accept-Encoding: gzip\r\n"],
    ];
    for (const [path, extra] of cases) {
      const request = (method: string) =>
        rawExchange(
          server.addr.port,
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`,
        );
      const get = headOf(await request("GET"));
      const head = headOf(await request("HEAD"));
      // a chunked GET has no length to repeat; HEAD then must not claim one
      get.delete("transfer-encoding");
      assert.deepEqual(head, get, path);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
