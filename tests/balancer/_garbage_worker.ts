/// <reference lib="deno.worker" />
/**
 * The garbage battery's other side, on its own thread as separate processes would be, so the
 * balancer's loop races them as it does in production: `netlab serve` backends (its epoll engine), and bad clients.
 * Told `{ root, count }` it starts the servers and posts their ports; told `{ port, clients }`
 * it runs the bad clients against the balancer (100 at a time) and posts `"sent"`; told `"stop"`
 * it shuts the servers down and posts `"stopped"`.
 */
import type { RunningServer } from "../../lib/server/async.ts";
import { startHttp1 } from "../../lib/server/epoll.ts";

type Order = { root: string; count: number } | { port: number; clients: number } | "stop";

const enc = new TextEncoder();

/** The four kinds of garbage, by index: 400, 414, 431 and 505 from `netlab serve`. */
function garbage(i: number): Uint8Array {
  switch (i % 4) {
    case 0:
      return crypto.getRandomValues(new Uint8Array(4096));
    case 1:
      return enc.encode(`GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    case 2:
      return enc.encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(100_000)}\r\n\r\n`);
    default:
      return enc.encode("GET / HTTP/9.9\r\nHost: x\r\n\r\n");
  }
}

/** One bad client: sends its garbage (as much as goes) and closes without reading. */
async function badClient(port: number, i: number): Promise<void> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const data = garbage(i);
  try {
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
  } catch { /* the server may close before it has it all */ }
}

let servers: RunningServer[] = [];

self.onmessage = async (e: MessageEvent<Order>) => {
  const order = e.data;
  if (order === "stop") {
    for (const s of servers) await s[Symbol.asyncDispose]();
    servers = [];
    self.postMessage("stopped");
  } else if ("root" in order) {
    // netlab serve's default engine on Linux (TCP_DEFER_ACCEPT, answer and close at once)
    const started = Array.from(
      { length: order.count },
      () => startHttp1({ root: order.root, port: 0, accessLog: false }),
    );
    servers = started;
    self.postMessage(started.map((s) => s.addr.port));
  } else {
    for (let round = 0; round < order.clients; round += 100) {
      const n = Math.min(100, order.clients - round);
      await Promise.all(Array.from({ length: n }, (_, j) => badClient(order.port, round + j)));
    }
    self.postMessage("sent");
  }
};
