/**
 * The floors under netlab bench's engines, for `deno task perf bench`: the least a Deno program can
 * do per request with a socket (write, read, nothing else) or with fetch (fetch, read the body).
 * Usage: deno run -A bench/_loops.ts socket|fetch URL CONNECTIONS SECONDS; prints req/s.
 *
 * @module
 */
// deno-lint-ignore-file no-console
const [mode, href, connections, seconds] = Deno.args;
const url = new URL(href!);
let count = 0;
let stop = false;
const timer = setTimeout(() => stop = true, Number(seconds) * 1000);

async function socketLoop(): Promise<void> {
  const req = new TextEncoder().encode(
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: */*\r\n\r\n`,
  );
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  conn.setNoDelay(true);
  const buf = new Uint8Array(64 * 1024);
  // Assumes each response arrives in one read, true for a small file on loopback.
  while (!stop) {
    await conn.write(req);
    await conn.read(buf);
    count++;
  }
  conn.close();
}

const client = Deno.createHttpClient({ poolMaxIdlePerHost: Number(connections), http2: false });
async function fetchLoop(): Promise<void> {
  const headers = { "accept-encoding": "identity" };
  while (!stop) {
    const res = await fetch(url, { client, headers });
    await res.bytes();
    count++;
  }
}

const start = performance.now();
await Promise.all(
  Array.from({ length: Number(connections) }, mode === "socket" ? socketLoop : fetchLoop),
);
clearTimeout(timer);
client.close();
console.log((count / ((performance.now() - start) / 1000)).toFixed(0));
